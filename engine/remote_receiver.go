package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gostream/gostream/engine/cluster"
)

// Receivers may run away from the driver, as Spark runs them on executors.
// Go cannot ship a receiver, so the executor runs the same binary, builds
// the same graph with the same setup function, and runs the receiver of the
// stream it is given (executor.ServeReceiver). What the receiver stores crosses the
// network encoded with the stream's codec and enters the driver's block
// generator exactly as a local receiver's records do: blocks are cut, rate
// limited, written to the write-ahead log and acknowledged on the driver, so
// recovery, backpressure and the WAL work as for local receivers.

// WithReceiverHost runs every receiver through h instead of in this
// process. A runtime's option (see engine/cluster): applications never need
// it.
func WithReceiverHost(h cluster.ReceiverHost) Option { return func(s *Context) { s.receiverHost = h } }

// receiveRemotely runs the receiver through the context's receiver host, its
// records feeding gen.
func (ri *receiverInput[T]) receiveRemotely(ctx context.Context, gen *blockGenerator[T]) error {
	rr := cluster.RemoteReceiver{Stream: ri.id, Name: ri.name, Sink: encodedToGenerator[T]{gen}}
	if off, ok := ri.ssc.blocks.latestOffset(ri.id); ok {
		rr.Offset = &off
	}
	return ri.ssc.receiverHost.RunReceiver(ctx, rr)
}

// latestOffset is the offset of the newest block of stream the driver holds
// (stored since the start, or recovered).
func (t *blockTracker) latestOffset(stream int) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	off, ok := t.lastOff[stream]
	return off, ok
}

// encodedToGenerator decodes a remote receiver's records into the block
// generator.
type encodedToGenerator[T any] struct{ gen *blockGenerator[T] }

func (e encodedToGenerator[T]) Store(ctx context.Context, records []byte) error {
	items, err := decodeSlice[T](records)
	if err != nil {
		return fmt.Errorf("records from a remote receiver: %w", err)
	}
	for _, x := range items {
		e.gen.Store(x)
	}
	return nil
}

func (e encodedToGenerator[T]) StoreBlock(ctx context.Context, records []byte, offset *string) error {
	items, err := decodeSlice[T](records)
	if err != nil {
		return fmt.Errorf("block from a remote receiver: %w", err)
	}
	return e.gen.storeBlock(ctx, items, offset)
}

func (e encodedToGenerator[T]) ReportError(msg string) { e.gen.ReportError(errors.New(msg)) }

// remoteServer is implemented by receiver inputs: it runs the receiver here
// for a remote driver.
type remoteServer interface {
	streamID() int
	serve(ctx context.Context, offset *string, out cluster.EncodedSink, flushEvery time.Duration) error
}

// serve runs the receiver with a forwarding sink.
func (ri *receiverInput[T]) serve(ctx context.Context, offset *string, out cluster.EncodedSink, flushEvery time.Duration) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	s := &forwardingSink[T]{ctx: ctx, out: out, offset: offset, fail: cancel}
	flushed := make(chan struct{})
	go func() {
		defer close(flushed)
		t := time.NewTicker(max(flushEvery, time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.flush(ctx)
			}
		}
	}()
	err := ri.r.Receive(ctx, s)
	cancel(nil)
	<-flushed
	s.flush(context.WithoutCancel(ctx)) // what was stored before the end
	if cause := context.Cause(ctx); err == nil && cause != nil && !errors.Is(cause, context.Canceled) {
		err = cause
	}
	return errors.Join(err, s.err())
}

// forwardingSink is the executor's Sink: single records are batched and
// forwarded every flush interval; blocks are forwarded at once and
// acknowledged when the driver has them safe.
type forwardingSink[T any] struct {
	ctx    context.Context // the receiver's
	out    cluster.EncodedSink
	offset *string
	fail   context.CancelCauseFunc

	mu      sync.Mutex
	buf     []T
	lastErr error
}

// maxForwarded bounds the records buffered between flushes: a fast source
// waits for the driver rather than growing one message without limit.
const maxForwarded = 4096

func (s *forwardingSink[T]) Store(item T) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(s.buf, item)
	if len(s.buf) >= maxForwarded {
		s.flushLocked(s.ctx)
	}
}

func (s *forwardingSink[T]) StoreBlock(ctx context.Context, items []T) error {
	return s.store(ctx, items, nil)
}

func (s *forwardingSink[T]) StoreBlockWithOffset(ctx context.Context, items []T, offset string) error {
	return s.store(ctx, items, &offset)
}

func (s *forwardingSink[T]) RecoveredOffset() (string, bool) {
	if s.offset == nil {
		return "", false
	}
	return *s.offset, true
}

func (s *forwardingSink[T]) ReportError(err error) { s.out.ReportError(err.Error()) }

func (s *forwardingSink[T]) store(ctx context.Context, items []T, offset *string) error {
	b, err := encodeSlice(items)
	if err != nil {
		return fmt.Errorf("encode block: %w", err)
	}
	s.flush(ctx) // single records stored before the block go first
	// Once sent, the block may be stored by the driver even if the receiver
	// is being stopped: wait for the driver's answer, so that the source
	// hears "stored" for every block that will be counted (Sink.StoreBlock).
	// A lost connection still ends the wait.
	return s.out.StoreBlock(context.WithoutCancel(ctx), b, offset)
}

// flush forwards the buffered records. A failure ends the receiver's run:
// the driver restarts it.
func (s *forwardingSink[T]) flush(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushLocked(ctx)
}

func (s *forwardingSink[T]) flushLocked(ctx context.Context) {
	if len(s.buf) == 0 || s.lastErr != nil {
		return
	}
	b, err := encodeSlice(s.buf)
	if err == nil {
		err = s.out.Store(ctx, b)
	}
	if err != nil {
		s.lastErr = fmt.Errorf("forward records to the driver: %w", err)
		s.fail(s.lastErr)
		return
	}
	s.buf = s.buf[:0]
}

func (s *forwardingSink[T]) err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr
}
