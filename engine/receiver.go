package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gostream/gostream/engine/rdd"
)

// Receiver is a custom source. Receive runs for as long as the stream
// receives: it stores what arrives in out and returns when ctx ends. An
// error return restarts it (after gostream.streaming.receiverRestartDelay,
// on the same value); a nil return while ctx is live ends the stream.
//
// Receivers run on their own goroutines, not in task slots: local[1] with a
// receiver still has its one slot for processing.
type Receiver[T any] interface {
	Receive(ctx context.Context, out Sink[T]) error
}

// ReceiverFunc adapts a function to Receiver.
type ReceiverFunc[T any] func(ctx context.Context, out Sink[T]) error

// Receive implements Receiver.
func (f ReceiverFunc[T]) Receive(ctx context.Context, out Sink[T]) error { return f(ctx, out) }

// Sink is where a receiver puts what it receives.
type Sink[T any] interface {
	// Store buffers one record; the block generator cuts the buffer into a
	// block every block interval. It blocks while the receiver is over
	// gostream.streaming.receiver.maxRate or while the block queue is full.
	Store(item T)
	// StoreBlock stores items as one block and returns once the block is
	// safe: accepted by the driver, and with the receiver write-ahead log on,
	// committed to it. Only then may a reliable source acknowledge the items.
	// ctx bounds waiting for room in the block queue; once queued, the block
	// is processed even if the receiver is being stopped, and StoreBlock
	// waits for that outcome (an error only on a hard stop).
	StoreBlock(ctx context.Context, items []T) error
	// ReportError tells listeners about a problem without stopping the receiver.
	ReportError(err error)
}

// OffsetSink is implemented by every Sink the engine gives a receiver. A
// reliable source that can re-read from a position (a file offset, a queue
// sequence number) stores its position after each block with
// StoreBlockWithOffset; with the receiver write-ahead log on, that position
// is durable with the block, and after a driver restart RecoveredOffset
// returns the position after the newest block the engine kept: resuming
// there loses nothing and repeats nothing.
type OffsetSink[T any] interface {
	Sink[T]
	// StoreBlockWithOffset is StoreBlock recording offset with the block.
	StoreBlockWithOffset(ctx context.Context, items []T, offset string) error
	// RecoveredOffset returns the offset stored with the newest block kept
	// before the restart, and false when there is none (first run, or the
	// write-ahead log is off).
	RecoveredOffset() (string, bool)
}

// ErrStopping is returned by StoreBlock when the stream is stopping.
var ErrStopping = errors.New("receiver is stopping")

// ReceiverStream creates an input stream fed by r.
func ReceiverStream[T any](ssc *Context, name string, r Receiver[T]) *DStream[T] {
	// With the write-ahead log, a completed batch's blocks can be read back
	// after a restart, so stateful streams below may replay it.
	n := &node{kind: "receiverStream", params: fmt.Sprintf("source=%q", name), slide: ssc.batch,
		input: &input{replayable: ssc.settings.receiverWAL}}
	ds := newStream(ssc, n, func(t time.Time) (*RDD[T], error) {
		blocks := ssc.blocks.blocksOf(t, n.id)
		if hasRemote(blocks) {
			return blockRDD[T](ssc, t, blocks), nil
		}
		chunks := make([][]T, len(blocks))
		for i, b := range blocks {
			data, err := ssc.loadBlock(b, t)
			if err != nil {
				return nil, err
			}
			chunks[i], _ = data.([]T)
		}
		// as many partitions as blocks, rounded up to fill every task slot
		slots := ssc.env.Backend.Slots()
		return rdd.Balanced(ssc.env, chunks, (len(blocks)+slots-1)/slots*slots), nil
	})
	ssc.blocks.registerDecoder(n.id, func(b []byte) (any, error) { return decodeSlice[T](b) })
	ssc.graph.inputs = append(ssc.graph.inputs, &receiverInput[T]{ssc: ssc, id: n.id, name: name, r: r})
	return ds
}

// receiverInput runs one receiver and its block generator.
type receiverInput[T any] struct {
	ssc  *Context
	id   int
	name string
	r    Receiver[T]
}

func (ri *receiverInput[T]) streamID() int { return ri.id }

// run supervises the receiver until receiving ends (recvCtx done or the
// receiver returned nil), then hands every record it stored to the block
// tracker. hardCtx ends only on a non-graceful stop: then stored records that
// were not handed over yet are dropped (they were never acknowledged).
func (ri *receiverInput[T]) run(recvCtx, hardCtx context.Context) {
	ssc := ri.ssc
	s := ssc.settings
	info := ReceiverInfo{StreamID: ri.id, Name: ri.name, Active: true}
	reportErr := func(err error) {
		info := info
		info.LastErr = err
		ssc.log.Warn("receiver error", "stream", ri.id, "receiver", ri.name, "err", err)
		ssc.bus.post(func(l Listener) { l.OnReceiverError(info) })
	}
	recovered := func() (string, bool) { return ssc.blocks.recoveredOffset(ri.id) }
	gen, stopGen := startGenerator[T](ssc, ri.id, hardCtx, ssc.blocks.add, recovered, reportErr)

	started := info // info changes when the receiver stops; listeners read theirs later
	ssc.bus.post(func(l Listener) { l.OnReceiverStarted(started) })
	ssc.log.Info("receiver started", "stream", ri.id, "receiver", ri.name)
	var delay time.Duration // the first restart waits the configured delay
	for {
		started := ssc.clock.Now()
		err := ri.receiveOnce(recvCtx, gen)
		if recvCtx.Err() != nil || err == nil {
			break
		}
		delay = nextRestartDelay(delay, s.restartDelay, ssc.clock.Now().Sub(started))
		gen.reportErr(fmt.Errorf("receiver %q failed, restarting in %s: %w", ri.name, delay, err))
		if ssc.clock.WaitUntil(recvCtx, ssc.clock.Now().Add(delay)) != nil {
			break
		}
	}
	stopGen()
	info.Active = false
	ssc.bus.post(func(l Listener) { l.OnReceiverStopped(info) })
	ssc.log.Info("receiver stopped", "stream", ri.id, "receiver", ri.name)
}

// startGenerator starts a block generator for stream, whose blocks go to
// store: its ticker cuts a block every block interval, its pusher stores
// the queued blocks one at a time (an error is reported). stop ends the
// ticker, queues what is still buffered and waits until every queued block
// was stored. The driver's receivers store into the block tracker, an
// executor's into its block store (remote_receiver.go).
func startGenerator[T any](ssc *Context, stream int, hardCtx context.Context,
	store func(context.Context, *receivedBlock) error, recovered func() (string, bool), reportErr func(error)) (gen *blockGenerator[T], stop func()) {
	s := ssc.settings
	gen = &blockGenerator[T]{
		streamID:  stream,
		clock:     ssc.clock,
		store:     store,
		queue:     make(chan *receivedBlock, s.blockQueueSize),
		limiter:   newRateLimiter(s.maxRate),
		hardCtx:   hardCtx,
		reportErr: reportErr,
		recovered: recovered,
	}
	tickCtx, stopTicks := context.WithCancel(hardCtx)
	ticked, pushed := make(chan struct{}), make(chan struct{})
	go func() { defer close(ticked); gen.tick(tickCtx, ssc.clock, s.blockInterval) }()
	go func() { defer close(pushed); gen.push() }()
	return gen, func() {
		stopTicks()
		<-ticked // the ticker may be cutting a block: the queue stays open until it is done
		gen.flushAndClose()
		<-pushed
	}
}

// maxRestartDelay caps the backoff between restarts of a failing receiver.
const maxRestartDelay = time.Minute

// nextRestartDelay backs off a receiver that keeps failing: the delay doubles
// after each failure, up to maxRestartDelay (never below the configured
// delay), and starts over once a run lasted longer than the cap.
func nextRestartDelay(prev, base, ran time.Duration) time.Duration {
	if ran > maxRestartDelay || prev < base {
		return base
	}
	return min(2*prev, max(base, maxRestartDelay))
}

// receiveOnce runs Receive (here, or through the receiver host), turning a
// panic into an error so that the receiver is restarted rather than the
// process lost.
func (ri *receiverInput[T]) receiveOnce(ctx context.Context, gen *blockGenerator[T]) (err error) {
	if ri.ssc.receiverHost != nil {
		return ri.receiveRemotely(ctx)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return ri.r.Receive(ctx, gen)
}

// blockGenerator is the Sink given to a receiver: it buffers stored records,
// cuts them into a block every block interval and queues the blocks (the
// queue is bounded: when it is full, Store waits), and a pusher hands queued
// blocks to the block tracker.
type blockGenerator[T any] struct {
	streamID  int
	clock     Clock
	store     func(context.Context, *receivedBlock) error // where queued blocks go
	recovered func() (string, bool)                       // the source's RecoveredOffset
	limiter   *rateLimiter
	queue     chan *receivedBlock
	hardCtx   context.Context
	reportErr func(error)

	mu  sync.Mutex // held while a full block waits for room in the queue
	buf []T
	// maxRecords, when positive, cuts a block before the interval ends once
	// the buffer holds that many records (executors: blocks they keep must
	// fit a message to the executor reading them).
	maxRecords atomic.Int64

	closeMu sync.RWMutex // StoreBlock sends under R; closing the queue takes W
	closed  bool
}

// Store implements Sink.
func (g *blockGenerator[T]) Store(item T) {
	g.limiter.wait(g.hardCtx)
	g.mu.Lock()
	g.buf = append(g.buf, item)
	full := len(g.buf) >= int(g.maxRecords.Load()) && g.maxRecords.Load() > 0
	g.mu.Unlock()
	if full {
		g.cut(g.hardCtx)
	}
}

// StoreBlock implements Sink.
func (g *blockGenerator[T]) StoreBlock(ctx context.Context, items []T) error {
	return g.storeBlock(ctx, items, nil)
}

// StoreBlockWithOffset implements OffsetSink.
func (g *blockGenerator[T]) StoreBlockWithOffset(ctx context.Context, items []T, offset string) error {
	return g.storeBlock(ctx, items, &offset)
}

// RecoveredOffset implements OffsetSink.
func (g *blockGenerator[T]) RecoveredOffset() (string, bool) {
	return g.recovered()
}

func (g *blockGenerator[T]) storeBlock(ctx context.Context, items []T, offset *string) error {
	b := &receivedBlock{streamID: g.streamID, data: items, records: len(items), stored: make(chan error, 1),
		at: g.clock.Now(), offset: offset, encode: func() ([]byte, error) { return encodeSlice(items) }}
	if err := g.enqueue(ctx, b); err != nil {
		return err
	}
	// Once queued, the block is processed even when the receiver is being
	// stopped (a graceful stop drains the queue): wait for its outcome, so
	// that the source hears "stored" for every block that will be counted.
	// Only a hard stop drops it unacknowledged.
	select {
	case err := <-b.stored:
		return err
	case <-g.hardCtx.Done():
		return ErrStopping
	}
}

func (g *blockGenerator[T]) enqueue(ctx context.Context, b *receivedBlock) error {
	g.closeMu.RLock()
	defer g.closeMu.RUnlock()
	if g.closed {
		return ErrStopping
	}
	select {
	case g.queue <- b:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-g.hardCtx.Done():
		return ErrStopping
	}
}

// ReportError implements Sink.
func (g *blockGenerator[T]) ReportError(err error) { g.reportErr(err) }

// tick cuts a block every interval until ctx ends.
func (g *blockGenerator[T]) tick(ctx context.Context, clock Clock, interval time.Duration) {
	next := clock.Now().Add(interval)
	for clock.WaitUntil(ctx, next) == nil {
		g.cut(ctx)
		next = next.Add(interval)
	}
}

// cut queues the buffered records as one block. It keeps the lock while the
// queue is full, so Store waits too: memory stays bounded.
func (g *blockGenerator[T]) cut(ctx context.Context) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.buf) == 0 {
		return
	}
	items := g.buf
	b := &receivedBlock{streamID: g.streamID, data: items, records: len(items), at: g.clock.Now(),
		encode: func() ([]byte, error) { return encodeSlice(items) }}
	select {
	case g.queue <- b:
		g.buf = make([]T, 0, len(g.buf))
	case <-ctx.Done(): // keep the records buffered for flushAndClose
	}
}

// flushAndClose queues what is still buffered and closes the queue; called
// once the receiver and the ticker have stopped.
func (g *blockGenerator[T]) flushAndClose() {
	g.cut(g.hardCtx)
	g.closeMu.Lock()
	g.closed = true
	close(g.queue)
	g.closeMu.Unlock()
}

// push stores queued blocks until the queue is closed.
func (g *blockGenerator[T]) push() {
	for b := range g.queue {
		err := g.store(g.hardCtx, b)
		if b.stored != nil {
			b.stored <- err
		}
		if err != nil && g.hardCtx.Err() == nil {
			g.reportErr(fmt.Errorf("store block: %w", err))
		}
	}
}

// rateLimiter holds a receiver to at most rate records per second, checking
// the clock once per chunk of records so that the unlimited and the fast
// paths stay cheap.
type rateLimiter struct {
	rate    int64
	chunk   int64
	mu      sync.Mutex
	start   time.Time
	granted int64
}

func newRateLimiter(rate int64) *rateLimiter {
	chunk := rate / 100 // a hundredth of a second's worth
	if chunk < 1 {
		chunk = 1
	}
	return &rateLimiter{rate: rate, chunk: chunk}
}

func (l *rateLimiter) wait(ctx context.Context) {
	if l.rate <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.start.IsZero() {
		l.start = time.Now()
	}
	l.granted++
	if l.granted%l.chunk != 0 {
		return
	}
	due := l.start.Add(time.Duration(float64(l.granted) / float64(l.rate) * float64(time.Second)))
	if d := time.Until(due); d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
		}
	} else if d < -time.Second {
		// idle for a while: do not let the saved-up allowance burst
		l.start, l.granted = time.Now(), 0
	}
}
