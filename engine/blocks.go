package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gostream/gostream/engine/cluster"
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
	skipped   bool                   // its segment is damaged and skipDamaged is set: read as empty
	// remote: the block stays on the executor whose receiver cut it (its
	// data is never here); nil for blocks cut on the driver.
	remote *cluster.BlockRef
}

// blockTracker holds received blocks until a batch takes them, then until
// that batch completes, and then for as long as a window or a state replay
// may still read that batch (the stream's retention, node.retention): after
// a restart, recovery re-creates those past batches from the write-ahead
// log. Each stream may hold at most maxPending blocks not yet processed: a
// receiver faster than processing is slowed down instead of filling memory.
type blockTracker struct {
	maxPending int

	mu          sync.Mutex
	pending     map[int]chan struct{} // per stream: one token per unprocessed block
	unallocated map[int][]*receivedBlock
	allocated   map[int64]map[int][]*receivedBlock // batch time (ms) → stream → blocks, batch not completed
	completed   map[int64]map[int][]*receivedBlock // the same for completed batches still remembered
	retention   map[int]time.Duration              // per stream: how long completed batches are remembered

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
		completed:   map[int64]map[int][]*receivedBlock{},
		retention:   map[int]time.Duration{},
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
		// Durable before it is tracked, and so before StoreBlock returns:
		// a remote block's executor wrote its segment, the driver logs it.
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
	if batch, ok := t.allocated[bt.UnixMilli()]; ok {
		return batch[stream]
	}
	return t.completed[bt.UnixMilli()][stream]
}

// release frees the pending slots of batch bt's blocks once it completed.
// The blocks stay known until forget: a window may still read the batch.
func (t *blockTracker) release(bt time.Time) {
	t.mu.Lock()
	batch := t.allocated[bt.UnixMilli()]
	delete(t.allocated, bt.UnixMilli())
	if len(batch) > 0 {
		t.completed[bt.UnixMilli()] = batch
	}
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

// retain makes the tracker remember a stream's blocks for d after their
// batch completed: the stream's retention, which covers every window below
// it and, with the write-ahead log, the state replay of every stateful
// stream below it (checkpoint_interval.go).
func (t *blockTracker) retain(stream int, d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.retention[stream] = d
}

// maxRetention is the longest time any stream's blocks are remembered.
func (t *blockTracker) maxRetention() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var longest time.Duration
	for _, d := range t.retention {
		longest = max(longest, d)
	}
	return longest
}

// forget drops the blocks of completed batches at or before done minus
// their stream's retention, as node.forget drops the RDDs made of them, and
// returns those of them that executors hold, which they may drop too.
func (t *blockTracker) forget(done time.Time) []cluster.BlockRef {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.forgetLocked(done)
}

func (t *blockTracker) forgetLocked(done time.Time) []cluster.BlockRef {
	var remote []cluster.BlockRef
	for bt, batch := range t.completed {
		for stream, blocks := range batch {
			if bt <= done.Add(-t.retention[stream]).UnixMilli() {
				for _, b := range blocks {
					if b.remote != nil {
						remote = append(remote, *b.remote)
					}
				}
				delete(batch, stream)
			}
		}
		if len(batch) == 0 {
			delete(t.completed, bt)
		}
	}
	return remote
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
