package container

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"sync"

	"github.com/gostream/gostream/engine/task"
)

// blockStore holds the blocks an executor's receivers cut, encoded, until
// the driver forgets them, within a bound on their bytes: at the bound a
// receiver waits (backpressure to its Store), the executor's memory does
// not grow.
type blockStore struct {
	executor string
	prefix   string // random per store: a restarted executor never serves an old id
	max      int64  // bytes; a block larger than this is refused

	mu      sync.Mutex
	n       int64
	used    int64
	blocks  map[string][]byte
	changed chan struct{} // closed and replaced when blocks are dropped
}

func newBlockStore(executor string, maxBytes int64) *blockStore {
	return &blockStore{executor: executor, prefix: rand.Text()[:8], max: maxBytes,
		blocks: map[string][]byte{}, changed: make(chan struct{})}
}

// put keeps data and returns its id, waiting while the store has no room
// for it, until ctx ends.
func (s *blockStore) put(ctx context.Context, data []byte) (string, error) {
	size := int64(len(data))
	if size > s.max {
		return "", fmt.Errorf("a block of %d bytes is larger than the executor's block store (gostream.executor.blockStore.maxBytes = %d): raise it, or cut smaller blocks (a shorter gostream.streaming.blockInterval, smaller StoreBlock calls)", size, s.max)
	}
	for {
		s.mu.Lock()
		if s.used+size <= s.max {
			s.n++
			id := s.prefix + "-" + strconv.FormatInt(s.n, 10)
			s.blocks[id] = data
			s.used += size
			s.mu.Unlock()
			return id, nil
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return "", fmt.Errorf("waiting for room in the executor's block store (%d of %d bytes used): %w", s.usage(), s.max, ctx.Err())
		}
	}
}

// get is the block with id.
func (s *blockStore) get(id string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	data, ok := s.blocks[id]
	if !ok {
		return nil, fmt.Errorf("block %s not held by executor %s: it was dropped or the executor restarted (%w)", id, s.executor, task.ErrOutputMissing)
	}
	return data, nil
}

// drop removes the blocks with ids and says how many it held.
func (s *blockStore) drop(ids ...string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, id := range ids {
		if data, ok := s.blocks[id]; ok {
			s.used -= int64(len(data))
			delete(s.blocks, id)
			n++
		}
	}
	if n > 0 {
		close(s.changed)
		s.changed = make(chan struct{})
	}
	return n
}

// usage is the bytes held.
func (s *blockStore) usage() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used
}
