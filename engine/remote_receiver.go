package engine

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gostream/gostream/engine/cluster"
	"github.com/gostream/gostream/hdfsstore"
)

// Receivers may run away from the driver, as Spark runs them on executors.
// Go cannot ship a receiver, so the executor runs the same binary, builds
// the same graph with the same setup function, and runs the receiver of the
// stream it is given (executor.ServeReceiver). The executor cuts the blocks
// itself, with the same block generator as the driver (maxRate, the block
// interval, StoreBlock), keeps them in its block store and, with the
// receiver write-ahead log on, writes each to a segment of its own in the
// checkpoint directory; the driver hears of a block's metadata only
// (cluster.BlockRef) and tracks it as it tracks its own blocks. Tasks read
// a block where it is (remote_blocks.go).

// WithReceiverHost runs every receiver through h instead of in this
// process. A runtime's option (see engine/cluster): applications never need
// it.
func WithReceiverHost(h cluster.ReceiverHost) Option { return func(s *Context) { s.receiverHost = h } }

// receiveRemotely runs the receiver through the context's receiver host; the
// blocks it keeps there are recorded in the block tracker.
func (ri *receiverInput[T]) receiveRemotely(ctx context.Context) error {
	ssc := ri.ssc
	rr := cluster.RemoteReceiver{Stream: ri.id, Name: ri.name, Sink: trackerSink{ssc: ssc, stream: ri.id}}
	if off, ok := ssc.blocks.latestOffset(ri.id); ok {
		rr.Offset = &off
	}
	if ssc.settings.receiverWAL {
		rr.WALDir = ssc.settings.checkpointDir
	}
	return ssc.receiverHost.RunReceiver(ctx, rr)
}

// latestOffset is the offset of the newest block of stream the driver holds
// (stored since the start, or recovered).
func (t *blockTracker) latestOffset(stream int) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	off, ok := t.lastOff[stream]
	return off, ok
}

// trackerSink records the blocks a remote receiver's executor keeps.
type trackerSink struct {
	ssc    *Context
	stream int
}

func (s trackerSink) AddBlock(ctx context.Context, ref cluster.BlockRef) error {
	ref.Stream = s.stream
	return s.ssc.blocks.add(ctx, &receivedBlock{streamID: s.stream, records: ref.Records, at: s.ssc.clock.Now(),
		offset: ref.Offset, remote: &ref})
}

func (s trackerSink) ReportError(msg string) {
	s.ssc.log.Warn("receiver error", "stream", s.stream, "err", msg)
	info := ReceiverInfo{StreamID: s.stream, Active: true, LastErr: errors.New(msg)}
	s.ssc.bus.post(func(l Listener) { l.OnReceiverError(info) })
}

// remoteServer is implemented by receiver inputs: it runs the receiver here
// for a remote driver.
type remoteServer interface {
	streamID() int
	serve(ctx context.Context, run cluster.ReceiverRun, out cluster.BlockKeeper) error
}

// serve runs the receiver once, on an executor, with a block generator whose
// blocks out keeps. When ctx ends (the driver stops the receiver) what the
// receiver stored is still cut into blocks and kept. A block that cannot be
// kept ends the run with the error (the driver restarts the receiver).
func (ri *receiverInput[T]) serve(ctx context.Context, run cluster.ReceiverRun, out cluster.BlockKeeper) error {
	ssc := ri.ssc
	keep, err := newExecutorBlocks(ssc, run, out)
	if err != nil {
		return err
	}
	ctx, fail := context.WithCancelCause(ctx)
	defer fail(nil)
	var gen *blockGenerator[T]
	store := func(ctx context.Context, b *receivedBlock) error {
		bytes, err := keep.store(ctx, b)
		if err != nil {
			fail(fmt.Errorf("keep a block of %d records: %w", b.records, err))
			return err
		}
		if bytes > 0 {
			// Cut the next blocks near maxBlockBytes, at this block's bytes per record.
			gen.maxRecords.Store(max(1, int64(float64(maxBlockBytes)*float64(b.records)/float64(bytes))))
		}
		return nil
	}
	recovered := func() (string, bool) {
		if run.Offset == nil {
			return "", false
		}
		return *run.Offset, true
	}
	reportErr := func(err error) {
		ssc.log.Warn("receiver error", "stream", ri.id, "receiver", ri.name, "err", err)
		out.ReportError(err.Error())
	}
	// Blocks already queued are kept even when the driver stops the
	// receiver: their sources wait to hear that they are stored. A lost
	// connection fails them.
	gen, stopGen := startGenerator[T](ssc, ri.id, context.WithoutCancel(ctx), store, recovered, reportErr)
	gen.maxRecords.Store(firstBlockRecords)
	err = ri.receiveOnce(ctx, gen)
	stopGen()
	if cause := context.Cause(ctx); err == nil && cause != nil && !errors.Is(cause, context.Canceled) {
		err = cause
	}
	return err
}

// An executor cuts a block before the block interval ends once it holds
// about maxBlockBytes (encoded), so that a fast receiver's blocks stay small
// enough for the executor's block store and for other executors to fetch;
// before its first block it guesses firstBlockRecords.
const (
	maxBlockBytes     = 16 << 20
	firstBlockRecords = 50_000
)

// executorBlocks keeps the blocks an executor's receiver cuts: in the
// executor's block store (out), and first, with the write-ahead log, in a
// segment of this executor's own.
type executorBlocks struct {
	out     cluster.BlockKeeper
	wal     *hdfsstore.WAL // nil: the log is off
	clock   Clock
	timeout time.Duration
}

func newExecutorBlocks(ssc *Context, run cluster.ReceiverRun, out cluster.BlockKeeper) (*executorBlocks, error) {
	x := &executorBlocks{out: out, clock: ssc.clock, timeout: ssc.settings.storageTimeout()}
	if run.WALDir == "" {
		return x, nil
	}
	fsys, root, err := ssc.fileSystem(run.WALDir)
	if err != nil {
		return nil, fmt.Errorf("receiver write-ahead log in %s: %w", run.WALDir, err)
	}
	// Its own segments: names no other executor, and no other run of this
	// one, uses.
	name := fmt.Sprintf("recv-%d-x%s-%s", run.Stream, walSafe(out.Executor()), strings.ToLower(rand.Text()[:8]))
	if x.wal, err = hdfsstore.NewWAL(fsys, streamDataDir(root, run.Stream), name); err != nil {
		return nil, fmt.Errorf("receiver write-ahead log in %s: %w", run.WALDir, err)
	}
	return x, nil
}

// store writes b to the write-ahead log, if on, then keeps it, and says
// how many bytes it holds encoded.
func (x *executorBlocks) store(ctx context.Context, b *receivedBlock) (int, error) {
	data, err := b.encode()
	if err != nil {
		return 0, fmt.Errorf("block of stream %d: %w", b.streamID, err)
	}
	ref := cluster.BlockRef{Stream: b.streamID, Records: b.records, Bytes: len(data), Offset: b.offset}
	if x.wal != nil {
		wctx, cancel := context.WithTimeout(ctx, x.timeout)
		r, err := writeBlockSegment(wctx, x.wal, x.clock, b.streamID, data)
		cancel()
		if err != nil {
			return 0, err
		}
		w := cluster.WALRef(r)
		ref.WAL = &w
	}
	return len(data), x.out.Keep(ctx, ref, data)
}

// walSafe makes an executor id usable in a segment name.
func walSafe(id string) string {
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, id)
}
