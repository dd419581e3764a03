package engine

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// receivedBlock is one block of records from one receiver.
type receivedBlock struct {
	streamID int
	data     any // []T of the stream's element type; nil until read back for a recovered block
	records  int
	stored   chan error // StoreBlock waits here; nil for blocks cut by the generator

	at        time.Time              // when it was cut or stored
	encode    func() ([]byte, error) // for the write-ahead log
	offset    *string                // a reliable receiver's position after this block
	meta      *blockMeta             // where the write-ahead log holds it
	recovered bool                   // came back from the log: holds no pending token
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

	wal       *receiverWAL                      // nil: the receiver write-ahead log is off
	decoders  map[int]func([]byte) (any, error) // per stream, for blocks read back from the WAL
	lastOff   map[int]string                    // per stream: offset of the newest durable block
	recovered map[int]string                    // per stream: offset recovered at restart
}

func newBlockTracker(maxPending int) *blockTracker {
	return &blockTracker{
		maxPending:  maxPending,
		pending:     map[int]chan struct{}{},
		unallocated: map[int][]*receivedBlock{},
		allocated:   map[int64]map[int][]*receivedBlock{},
		decoders:    map[int]func([]byte) (any, error){},
		lastOff:     map[int]string{},
		recovered:   map[int]string{},
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
	tokens := t.tokens(b.streamID)
	select {
	case tokens <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	if t.wal != nil {
		// Durable before it is tracked, and so before StoreBlock returns.
		meta, err := t.wal.write(ctx, b)
		if err != nil {
			<-tokens
			return err
		}
		b.meta = &meta
	}
	t.mu.Lock()
	t.unallocated[b.streamID] = append(t.unallocated[b.streamID], b)
	if b.offset != nil {
		t.lastOff[b.streamID] = *b.offset
	}
	t.mu.Unlock()
	return nil
}

// allocate gives every unallocated block to the batch at time bt and
// returns the records per stream.
func (t *blockTracker) allocate(bt time.Time) map[int]int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	counts := map[int]int64{}
	batch, again := t.allocated[bt.UnixMilli()]
	if !again { // a batch re-created after a restart keeps its blocks
		batch = t.unallocated
		if t.wal != nil && len(batch) > 0 {
			// With the log, an allocation counts once it is durable (it is
			// what recovery gives this batch); if it cannot be written the
			// blocks wait for the next batch.
			if err := t.wal.logAllocation(bt, batch); err != nil {
				t.wal.reportErr(fmt.Errorf("record the blocks of batch %d: %w", bt.UnixMilli(), err))
				t.allocated[bt.UnixMilli()] = map[int][]*receivedBlock{}
				return counts
			}
		}
		t.unallocated = map[int][]*receivedBlock{}
		t.allocated[bt.UnixMilli()] = batch
	}
	for stream, blocks := range batch {
		for _, b := range blocks {
			counts[stream] += int64(b.records)
		}
	}
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
		for _, b := range blocks {
			if !b.recovered {
				<-c
			}
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
