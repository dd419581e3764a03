package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine/cluster"
	"github.com/gostream/gostream/engine/rdd"
	"github.com/gostream/gostream/engine/task"
	"github.com/gostream/gostream/hdfsstore"
)

// Blocks that remote receivers keep on their executors are read where they
// are: a task on the holder reads its block store, any other process asks
// the holder (its shuffle server serves blocks as it serves buckets). When
// the holder is gone the block is read from its write-ahead log record; with
// the log off its records are lost, and the batch fails with a
// *LostBlocksError (the documented at-most-once case) instead of running
// short.

// LostBlocksError: the executor holding blocks a batch reads is gone and the
// receiver write-ahead log is off, so their records are lost.
type LostBlocksError struct {
	Stream   int
	BatchMs  int64
	Executor string // the holder that was lost
	Blocks   int
	Records  int
}

func (e *LostBlocksError) Error() string {
	return fmt.Sprintf("batch %d lost %d blocks (%d records) of stream %d: executor %s, which held them, is gone and %s is off. "+
		"Turn the receiver write-ahead log on (with a checkpoint directory) to keep received records across executor losses",
		e.BatchMs, e.Blocks, e.Records, e.Stream, e.Executor, conf.ReceiverWALEnable)
}

// holderGone says whether a block read failed because its holder is gone or
// no longer holds it, rather than for the reader's own reasons.
func holderGone(err error) bool {
	return errors.Is(err, task.ErrExecutorLost) || errors.Is(err, task.ErrOutputMissing)
}

// lostBlocks is the error of a batch that reads refs, of which those held by
// executor are lost.
func lostBlocks(batchMs int64, executor string, refs []cluster.BlockRef) *LostBlocksError {
	e := &LostBlocksError{BatchMs: batchMs, Executor: executor}
	for _, r := range refs {
		if r.Executor == executor && r.WAL == nil {
			e.Stream = r.Stream
			e.Blocks++
			e.Records += r.Records
		}
	}
	return e
}

// hasRemote says whether any of blocks is kept on an executor: then the
// stream's RDD at that batch has one partition per block, read where it is.
func hasRemote(blocks []*receivedBlock) bool {
	for _, b := range blocks {
		if b.remote != nil {
			return true
		}
	}
	return false
}

// refOf is how a task elsewhere finds b: its holder and, with the log on,
// its record (a block recovered from the log has no holder).
func refOf(b *receivedBlock) cluster.BlockRef {
	var ref cluster.BlockRef
	if b.remote != nil {
		ref = *b.remote
	} else {
		ref = cluster.BlockRef{Stream: b.streamID, Records: b.records, Offset: b.offset}
	}
	if b.meta != nil {
		w := cluster.WALRef(b.meta.Ref)
		ref.WAL = &w
	}
	return ref
}

func refsOf(blocks []*receivedBlock) []cluster.BlockRef {
	refs := make([]cluster.BlockRef, len(blocks))
	for i, b := range blocks {
		refs[i] = refOf(b)
	}
	return refs
}

// blockRDD is the driver's RDD of a batch's blocks of a remote receiver: one
// partition per block, read from its holder or its log record.
func blockRDD[T any](ssc *Context, t time.Time, blocks []*receivedBlock) *RDD[T] {
	return rdd.Zip(ssc.env, len(blocks), func(ctx context.Context, p int, emit func(T)) error {
		data, err := ssc.readBlock(ctx, t, blocks, p)
		if err != nil {
			return err
		}
		items, _ := data.([]T)
		for _, x := range items {
			emit(x)
		}
		return nil
	})
}

// readBlock reads block p of blocks, batch t's blocks of one stream, on the
// driver, decoded.
func (c *Context) readBlock(ctx context.Context, t time.Time, blocks []*receivedBlock, p int) (any, error) {
	b := blocks[p]
	if b.remote == nil {
		return c.loadBlock(b, t)
	}
	raw, err := c.receiverHost.ReadBlock(ctx, *b.remote)
	switch {
	case err == nil:
		return c.blocks.decode(b.streamID, raw)
	case !holderGone(err):
		return nil, fmt.Errorf("read block %s of stream %d from executor %s: %w", b.remote.ID, b.streamID, b.remote.Executor, err)
	case b.meta != nil:
		return c.loadBlock(b, t)
	}
	return nil, lostBlocks(t.UnixMilli(), b.remote.Executor, refsOf(blocks))
}

// decode decodes a block of stream read from elsewhere.
func (t *blockTracker) decode(stream int, raw []byte) (any, error) {
	t.mu.Lock()
	decode := t.decoders[stream]
	t.mu.Unlock()
	if decode == nil {
		return nil, fmt.Errorf("stream %d is not a receiver stream", stream)
	}
	return decode(raw)
}

// blockRefs is what a task spec says of input n's blocks at batch ms, when
// its RDD is made of blocks kept on executors; ok is false when it is not,
// or when some are lost (the task then runs here, where the loss is told).
func (c *Context) blockRefs(n *node, ms int64) (refs []cluster.BlockRef, ok bool) {
	if c.receiverHost == nil {
		return nil, false
	}
	blocks := c.blocks.blocksOf(time.UnixMilli(ms), n.id)
	if !hasRemote(blocks) {
		return nil, false
	}
	refs = refsOf(blocks)
	for _, r := range refs {
		if r.WAL == nil && c.receiverHost.ExecutorLost(r.Executor) {
			return nil, false
		}
	}
	return refs, true
}

// readKeptBlock reads a block for a task on an executor: through blocks
// (from its own store or its holder), else from its log record.
func readKeptBlock(ctx context.Context, ssc *Context, blocks cluster.BlockReader, walDir string, batchMs int64, refs []cluster.BlockRef, p int) ([]byte, error) {
	ref := refs[p]
	if ref.Addr != "" {
		raw, err := blocks.ReadBlock(ctx, ref)
		if err == nil || !holderGone(err) {
			return raw, err
		}
		if ref.WAL == nil {
			return nil, lostBlocks(batchMs, ref.Executor, refs)
		}
	}
	if ref.WAL == nil || walDir == "" {
		return nil, fmt.Errorf("block %s of stream %d has neither a holder nor a write-ahead log record", ref.ID, ref.Stream)
	}
	fsys, _, err := ssc.fileSystem(walDir)
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithTimeout(ctx, ssc.settings.storageTimeout())
	defer cancel()
	raw, err := hdfsstore.ReadRecord(rctx, fsys, hdfsstore.RecordRef(*ref.WAL))
	if err != nil {
		return nil, fmt.Errorf("read block of stream %d back from the write-ahead log: %w", ref.Stream, err)
	}
	return raw, nil
}

// preferred is the executor holding the block partition p of a map task
// over spec's inputs reads: input partitions concatenate in the order of
// the spec's inputs. None when the task reads shuffles (its partitions are
// not its inputs') or its input is not made of kept blocks.
func (s taskSpec) preferred(p int) string {
	if len(s.Upstream) > 0 {
		return ""
	}
	for _, in := range s.Inputs {
		if p < in.Parts {
			if p < len(in.Blocks) {
				return in.Blocks[p].Executor
			}
			return ""
		}
		p -= in.Parts
	}
	return ""
}

// forgetBlocks tells the executors holding refs to drop them, in the
// background.
func (c *Context) forgetBlocks(refs []cluster.BlockRef) {
	if len(refs) == 0 || c.receiverHost == nil {
		return
	}
	c.toExecutors(func(ctx context.Context) { c.receiverHost.ForgetBlocks(ctx, refs) })
}

// hasRemoteAt says whether batch ms took blocks of stream kept on executors.
func (t *blockTracker) hasRemoteAt(ms int64, stream int) bool {
	return hasRemote(t.blocksOf(time.UnixMilli(ms), stream))
}
