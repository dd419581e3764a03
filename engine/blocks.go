package engine

import (
	"context"
	"sync"
	"time"
)

// receivedBlock is one block of records from one receiver.
type receivedBlock struct {
	streamID int
	data     any // []T of the stream's element type
	records  int
	stored   chan error // StoreBlock waits here; nil for blocks cut by the generator
}

// blockTracker holds received blocks until a batch takes them, and then
// until that batch completes. Each stream may hold at most maxPending blocks
// not yet processed: a receiver faster than processing is slowed down
// instead of filling memory.
type blockTracker struct {
	maxPending int

	mu          sync.Mutex
	pending     map[int]chan struct{} // per stream: one token per unprocessed block
	unallocated map[int][]*receivedBlock
	allocated   map[int64]map[int][]*receivedBlock // batch time (ms) → stream → blocks
}

func newBlockTracker(maxPending int) *blockTracker {
	return &blockTracker{
		maxPending:  maxPending,
		pending:     map[int]chan struct{}{},
		unallocated: map[int][]*receivedBlock{},
		allocated:   map[int64]map[int][]*receivedBlock{},
	}
}

func (t *blockTracker) tokens(stream int) chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	c, ok := t.pending[stream]
	if !ok {
		c = make(chan struct{}, t.maxPending)
		t.pending[stream] = c
	}
	return c
}

// add takes a received block, waiting while its stream is at maxPending.
func (t *blockTracker) add(ctx context.Context, b *receivedBlock) error {
	select {
	case t.tokens(b.streamID) <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	t.mu.Lock()
	t.unallocated[b.streamID] = append(t.unallocated[b.streamID], b)
	t.mu.Unlock()
	return nil
}

// allocate gives every unallocated block to the batch at time bt and
// returns the records per stream.
func (t *blockTracker) allocate(bt time.Time) map[int]int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	counts := map[int]int64{}
	batch := map[int][]*receivedBlock{}
	for stream, blocks := range t.unallocated {
		batch[stream] = blocks
		for _, b := range blocks {
			counts[stream] += int64(b.records)
		}
	}
	t.unallocated = map[int][]*receivedBlock{}
	t.allocated[bt.UnixMilli()] = batch
	return counts
}

// blocksOf returns the blocks batch bt took from a stream.
func (t *blockTracker) blocksOf(bt time.Time, stream int) []*receivedBlock {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.allocated[bt.UnixMilli()][stream]
}

// release frees the pending slots of batch bt's blocks once it completed.
// The data itself lives on as long as an RDD (a window) still refers to it.
func (t *blockTracker) release(bt time.Time) {
	t.mu.Lock()
	batch := t.allocated[bt.UnixMilli()]
	delete(t.allocated, bt.UnixMilli())
	t.mu.Unlock()
	for stream, blocks := range batch {
		c := t.tokens(stream)
		for range blocks {
			<-c
		}
	}
}

// hasUnallocated reports whether blocks wait for a batch.
func (t *blockTracker) hasUnallocated() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, blocks := range t.unallocated {
		if len(blocks) > 0 {
			return true
		}
	}
	return false
}
