package container

import (
	"crypto/rand"
	"fmt"
	"sync"

	"github.com/gostream/gostream/engine/cluster"
	"github.com/gostream/gostream/engine/task"
)

// shuffleStore holds the map outputs of the tasks an executor ran, in
// memory, until the driver forgets their batch.
type shuffleStore struct {
	executor string
	prefix   string // random per store: a restarted executor never serves an old key

	mu      sync.Mutex
	n       int64
	outputs map[string][][]byte // buckets by key
	batches map[int64][]string  // keys by batch time
}

func newShuffleStore(executor string) *shuffleStore {
	return &shuffleStore{executor: executor, prefix: rand.Text()[:8],
		outputs: map[string][][]byte{}, batches: map[int64][]string{}}
}

// put keeps a task's output and returns its key.
func (s *shuffleStore) put(r cluster.MapResult) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	key := fmt.Sprintf("%s-%d-%d", s.prefix, r.BatchMs, s.n)
	s.outputs[key] = r.Buckets
	s.batches[r.BatchMs] = append(s.batches[r.BatchMs], key)
	return key
}

// bucket is reduce partition p of the output under key.
func (s *shuffleStore) bucket(key string, p int) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	buckets, ok := s.outputs[key]
	if !ok {
		return nil, fmt.Errorf("map output %s not held by executor %s: it was dropped or the executor restarted (%w)", key, s.executor, task.ErrOutputMissing)
	}
	if p < 0 || p >= len(buckets) {
		return nil, fmt.Errorf("map output %s on executor %s has %d reduce partitions, not partition %d", key, s.executor, len(buckets), p)
	}
	return buckets[p], nil
}

// forget drops the outputs of batches before beforeMs and says how many.
func (s *shuffleStore) forget(beforeMs int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for batch, keys := range s.batches {
		if batch >= beforeMs {
			continue
		}
		for _, k := range keys {
			delete(s.outputs, k)
		}
		n += len(keys)
		delete(s.batches, batch)
	}
	return n
}
