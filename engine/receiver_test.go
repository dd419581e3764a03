package engine_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/streamtest"
)

// blockFeeder is a receiver the test drives: each feed is stored with
// StoreBlock, which returns once the driver holds the block, so the next
// batch is sure to take it.
type blockFeeder[T any] struct {
	blocks chan []T
	stored chan error
}

func newBlockFeeder[T any]() *blockFeeder[T] {
	return &blockFeeder[T]{blocks: make(chan []T), stored: make(chan error)}
}

func (f *blockFeeder[T]) Receive(ctx context.Context, out engine.Sink[T]) error {
	for {
		select {
		case b := <-f.blocks:
			f.stored <- out.StoreBlock(ctx, b)
		case <-ctx.Done():
			return nil
		}
	}
}

// feed stores items as one block and waits until the driver has it.
func (f *blockFeeder[T]) feed(t *testing.T, items ...T) {
	t.Helper()
	select {
	case f.blocks <- items:
	case <-time.After(30 * time.Second):
		t.Fatal("receiver did not take the block within 30s")
	}
	if err := <-f.stored; err != nil {
		t.Fatalf("StoreBlock: %v", err)
	}
}

// receiverEvents records receiver events.
type receiverEvents struct {
	engine.NopListener
	mu      sync.Mutex
	errs    []engine.ReceiverInfo
	started []engine.ReceiverInfo
	stopped []engine.ReceiverInfo
}

func (r *receiverEvents) OnReceiverError(i engine.ReceiverInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, i)
}

func (r *receiverEvents) OnReceiverStarted(i engine.ReceiverInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started = append(r.started, i)
}

func (r *receiverEvents) OnReceiverStopped(i engine.ReceiverInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = append(r.stopped, i)
}

// errorTexts returns the receiver errors reported so far.
func (r *receiverEvents) errorTexts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.errs {
		if e.LastErr != nil {
			out = append(out, e.LastErr.Error())
		}
	}
	return out
}

func (r *receiverEvents) hasError(subs ...string) bool {
	for _, e := range r.errorTexts() {
		if containsAll(e, subs...) {
			return true
		}
	}
	return false
}

func TestReceiverStoreBlockPerBatch(t *testing.T) {
	h := streamtest.New(t, time.Second)
	f := newBlockFeeder[string]()
	in := engine.ReceiverStream[string](h.Ctx, "feeder", f)
	out := streamtest.Collect(h, in)
	counts := streamtest.Collect(h, in.Count())
	h.Start()
	f.feed(t, "a", "b")
	f.feed(t, "c")
	h.Advance(1)
	h.Advance(1) // nothing received
	f.feed(t, "d")
	h.Advance(1)
	checkBatches(t, h, out, [][]string{{"a", "b", "c"}, {}, {"d"}})
	checkBatches(t, h, counts, [][]string{{"3"}, {"0"}, {"1"}})
	// blocks are partitions, in the order stored
	if got, _ := out.Batch(0); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("batch 0 in block order: got %v", got)
	}
}

// TestReceiverStoreCutsBlocksOnClockTicks stores records one by one: the
// block generator cuts them into blocks on the (manual) clock's block
// interval ticks, so they arrive over the following batches, each exactly
// once and in the order stored.
func TestReceiverStoreCutsBlocksOnClockTicks(t *testing.T) {
	h := streamtest.New(t, time.Second, streamtest.WithConf("gostream.streaming.blockInterval", "250ms"))
	const n = 500
	var storedAll sync.WaitGroup
	storedAll.Add(1)
	rcv := engine.ReceiverFunc[int](func(ctx context.Context, out engine.Sink[int]) error {
		for i := range n {
			out.Store(i)
		}
		storedAll.Done()
		<-ctx.Done()
		return nil
	})
	in := engine.ReceiverStream[int](h.Ctx, "counter", rcv)
	out := streamtest.Collect(h, in)
	h.Start()
	storedAll.Wait()
	var all []int
	batches := 0
	eventually(t, "every stored record to arrive", func() bool {
		h.Advance(1)
		b, _ := out.Batch(batches)
		batches++
		all = append(all, b...)
		return len(all) >= n
	})
	want := make([]int, n)
	for i := range want {
		want[i] = i
	}
	if !slices.Equal(all, want) {
		t.Fatalf("records over %d batches: got %d records (%v…), want 0..%d in order", batches, len(all), all[:min(10, len(all))], n-1)
	}
	h.Advance(2)
	for i := batches; i < batches+2; i++ {
		if b, _ := out.Batch(i); len(b) != 0 {
			t.Errorf("batch %d after everything arrived: got %v", i, b)
		}
	}
}

// TestReceiverWindowSlowerThanBatch: a window sliding slower than the batch
// must still see the blocks of the batches between its slides.
func TestReceiverWindowSlowerThanBatch(t *testing.T) {
	h := streamtest.New(t, time.Second)
	f := newBlockFeeder[int]()
	in := engine.ReceiverStream[int](h.Ctx, "feeder", f)
	out := streamtest.Collect(h, in.Window(2*time.Second, 2*time.Second))
	h.Start()
	for k := 1; k <= 4; k++ {
		f.feed(t, k)
		h.Advance(1)
	}
	checkBatches(t, h, out, [][]string{nil, {"1", "2"}, nil, {"3", "4"}})
}

func TestReceiverRestartAfterFailure(t *testing.T) {
	cases := []struct {
		name    string
		fail    func() error
		wantErr string
	}{
		{"error", func() error { return errors.New("disk on fire") }, "disk on fire"},
		{"panic", func() error { panic("receiver exploded") }, "receiver exploded"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := streamtest.New(t, time.Second, streamtest.WithConf("gostream.streaming.receiverRestartDelay", "2s"))
			var mu sync.Mutex
			calls := 0
			rcv := engine.ReceiverFunc[string](func(ctx context.Context, out engine.Sink[string]) error {
				mu.Lock()
				calls++
				call := calls
				mu.Unlock()
				if call == 1 {
					return tc.fail()
				}
				if err := out.StoreBlock(ctx, []string{"after restart " + strconv.Itoa(call)}); err != nil {
					return err
				}
				<-ctx.Done()
				return nil
			})
			events := &receiverEvents{}
			h.Ctx.AddListener(events)
			in := engine.ReceiverStream[string](h.Ctx, "flaky", rcv)
			out := streamtest.Collect(h, in)
			h.Start()
			var got []string
			batches := 0
			eventually(t, "the restarted receiver's data", func() bool {
				h.Advance(1)
				b, _ := out.Batch(batches)
				batches++
				got = append(got, b...)
				return len(got) > 0
			})
			if !slices.Equal(got, []string{"after restart 2"}) {
				t.Errorf("got %v, want the data of the second run only", got)
			}
			// The restart waits receiverRestartDelay on the context's clock.
			if batches < 2 {
				t.Errorf("data arrived after %d batches; the restart should wait 2s of the clock", batches)
			}
			eventually(t, "the receiver error event", func() bool { return events.hasError(tc.wantErr, "flaky") })
			if !events.hasError("restarting") {
				t.Errorf("error events should say the receiver restarts: %q", events.errorTexts())
			}
		})
	}
}

// TestReceiverReportErrorKeepsRunning: ReportError reaches listeners and
// does not stop or restart the receiver.
func TestReceiverReportErrorKeepsRunning(t *testing.T) {
	h := streamtest.New(t, time.Second)
	events := &receiverEvents{}
	h.Ctx.AddListener(events)
	var runs sync.WaitGroup
	runs.Add(1)
	var mu sync.Mutex
	calls := 0
	rcv := engine.ReceiverFunc[int](func(ctx context.Context, out engine.Sink[int]) error {
		mu.Lock()
		calls++
		mu.Unlock()
		out.ReportError(errors.New("upstream lagging"))
		if err := out.StoreBlock(ctx, []int{1, 2}); err != nil {
			return err
		}
		runs.Done()
		<-ctx.Done()
		return nil
	})
	in := engine.ReceiverStream[int](h.Ctx, "reporter", rcv)
	out := streamtest.Collect(h, in)
	h.Start()
	runs.Wait()
	h.Advance(3)
	checkBatches(t, h, out, [][]string{{"1", "2"}, {}, {}})
	eventually(t, "the reported error", func() bool { return events.hasError("upstream lagging") })
	mu.Lock()
	defer mu.Unlock()
	if calls != 1 {
		t.Errorf("Receive ran %d times; ReportError must not restart the receiver", calls)
	}
}

// TestReceiverStartStopEvents: listeners see a receiver start and, after the
// context stops, stop.
func TestReceiverStartStopEvents(t *testing.T) {
	h := streamtest.New(t, time.Second)
	events := &receiverEvents{}
	h.Ctx.AddListener(events)
	in := engine.ReceiverStream[int](h.Ctx, "idle", newBlockFeeder[int]())
	streamtest.Collect(h, in)
	h.Start()
	h.Advance(1)
	h.Ctx.Stop(false)
	events.mu.Lock()
	defer events.mu.Unlock()
	if len(events.started) != 1 || events.started[0].Name != "idle" || !events.started[0].Active {
		t.Errorf("started events: %+v", events.started)
	}
	if len(events.stopped) != 1 || events.stopped[0].Name != "idle" || events.stopped[0].Active {
		t.Errorf("stopped events: %+v", events.stopped)
	}
}

// TestReceiverReturningNilEndsStream: a receiver that returns nil while the
// context runs is done; it is not restarted and the context keeps running.
func TestReceiverReturningNilEndsStream(t *testing.T) {
	h := streamtest.New(t, time.Second, streamtest.WithConf("gostream.streaming.receiverRestartDelay", "1s"))
	var mu sync.Mutex
	calls := 0
	done := make(chan struct{})
	rcv := engine.ReceiverFunc[string](func(ctx context.Context, out engine.Sink[string]) error {
		mu.Lock()
		calls++
		mu.Unlock()
		err := out.StoreBlock(ctx, []string{"only"})
		close(done)
		return err
	})
	in := engine.ReceiverStream[string](h.Ctx, "oneshot", rcv)
	out := streamtest.Collect(h, in)
	h.Start()
	<-done
	h.Advance(4)
	checkBatches(t, h, out, [][]string{{"only"}, {}, {}, {}})
	mu.Lock()
	defer mu.Unlock()
	if calls != 1 {
		t.Errorf("Receive ran %d times, want 1", calls)
	}
}

func TestReceiverErrorMessageNamesReceiver(t *testing.T) {
	// A sanity check of the message format the other tests rely on.
	h := streamtest.New(t, time.Second, streamtest.WithConf("gostream.streaming.receiverRestartDelay", "1s"))
	events := &receiverEvents{}
	h.Ctx.AddListener(events)
	var once sync.Once
	rcv := engine.ReceiverFunc[int](func(ctx context.Context, out engine.Sink[int]) error {
		var err error
		once.Do(func() { err = fmt.Errorf("wrapped: %w", context.DeadlineExceeded) })
		if err != nil {
			return err
		}
		<-ctx.Done()
		return nil
	})
	streamtest.Collect(h, engine.ReceiverStream[int](h.Ctx, "named-source", rcv))
	h.Start()
	eventually(t, "the error event", func() bool { return len(events.errorTexts()) > 0 })
	events.mu.Lock()
	defer events.mu.Unlock()
	e := events.errs[0]
	if !errors.Is(e.LastErr, context.DeadlineExceeded) {
		t.Errorf("LastErr should wrap the receiver's error: %v", e.LastErr)
	}
	if e.Name != "named-source" || !strings.Contains(e.LastErr.Error(), "named-source") {
		t.Errorf("error event should name the receiver: %+v", e)
	}
}

// TestGracefulStopProcessesReceivedData: Stop(true) stops the receivers and
// lets a batch take and process every block they stored.
func TestGracefulStopProcessesReceivedData(t *testing.T) {
	h := streamtest.New(t, time.Second)
	f := newBlockFeeder[string]()
	out := streamtest.Collect(h, engine.ReceiverStream[string](h.Ctx, "feeder", f))
	h.Start()
	f.feed(t, "x")
	h.Advance(1)
	f.feed(t, "y", "z") // stored, not yet in a batch
	stopped := make(chan struct{})
	go func() { h.Ctx.Stop(true); close(stopped) }()
	h.Clock.Set(h.BatchTime(1)) // the batch that takes the rest
	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatal("graceful stop did not finish")
	}
	if err := waitDone(t, h.Ctx); err != nil {
		t.Errorf("graceful stop: %v", err)
	}
	checkBatches(t, h, out, [][]string{{"x"}, {"y", "z"}})
}

// TestReceiverBackpressure: a stream holds at most blockQueueSize + two
// batches' worth of blocks not yet processed; StoreBlock beyond that waits
// until a batch completes, and nothing is lost.
func TestReceiverBackpressure(t *testing.T) {
	// one block per batch interval and a queue of one: at most 1 + 2 = 3 blocks pending
	h := streamtest.New(t, time.Second, streamtest.WithConf("gostream.streaming.blockQueueSize", "1"),
		streamtest.WithConf("gostream.streaming.blockInterval", "1s"))
	returned := make(chan int, 10)
	rcv := engine.ReceiverFunc[int](func(ctx context.Context, out engine.Sink[int]) error {
		for i := 1; i <= 4; i++ {
			if err := out.StoreBlock(ctx, []int{i}); err != nil {
				return nil // stopping
			}
			returned <- i
		}
		<-ctx.Done()
		return nil
	})
	out := streamtest.Collect(h, engine.ReceiverStream[int](h.Ctx, "fast", rcv))
	h.Start()
	for i := 1; i <= 3; i++ {
		if got := <-returned; got != i {
			t.Fatalf("block %d returned out of order (%d)", i, got)
		}
	}
	// give a wrongly accepted fourth block time to show; it must stay blocked
	time.Sleep(50 * time.Millisecond)
	select {
	case i := <-returned:
		t.Fatalf("StoreBlock of block %d returned while 3 blocks were pending", i)
	default:
	}
	h.Advance(1) // processes blocks 1-3 and frees their room
	select {
	case i := <-returned:
		if i != 4 {
			t.Fatalf("got block %d", i)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the fourth block was not accepted after the batch completed")
	}
	h.Advance(1)
	checkBatches(t, h, out, [][]string{{"1", "2", "3"}, {"4"}})
}

// TestReceiverMaxRate: records stored one by one are held to
// gostream.streaming.receiver.maxRate, and every one of them still arrives.
func TestReceiverMaxRate(t *testing.T) {
	const rate, n = 1000, 500
	h := streamtest.New(t, time.Second, streamtest.WithConf("gostream.streaming.receiver.maxRate", strconv.Itoa(rate)),
		streamtest.WithConf("gostream.streaming.blockInterval", "250ms"))
	took := make(chan time.Duration, 1)
	rcv := engine.ReceiverFunc[int](func(ctx context.Context, out engine.Sink[int]) error {
		start := time.Now()
		for i := range n {
			out.Store(i)
		}
		took <- time.Since(start)
		<-ctx.Done()
		return nil
	})
	out := streamtest.Collect(h, engine.ReceiverStream[int](h.Ctx, "limited", rcv))
	h.Start()
	// A lower bound only: a slow machine takes longer, never shorter.
	if d := <-took; d < n*time.Second/rate*9/10 {
		t.Errorf("%d records stored in %s with maxRate %d/s, want at least %s", n, d, rate, n*time.Second/rate*9/10)
	}
	got, batches := 0, 0
	eventually(t, "every stored record to arrive", func() bool {
		h.Advance(1)
		b, _ := out.Batch(batches)
		batches++
		got += len(b)
		return got >= n
	})
	if got != n {
		t.Errorf("%d records arrived, want %d", got, n)
	}
}

// TestLocalOneSlotWithReceiver: a receiver holds no task slot, so local[1]
// with a receiver still runs batches, shuffles included (in Spark the
// application would look stuck).
func TestLocalOneSlotWithReceiver(t *testing.T) {
	h := streamtest.New(t, time.Second, streamtest.WithConf("gostream.master", "local[1]"))
	f := newBlockFeeder[string]()
	words := engine.Map(engine.ReceiverStream[string](h.Ctx, "feeder", f), func(w string) engine.Pair[string, int] { return engine.KV(w, 1) })
	out := streamtest.Collect(h, engine.ReduceByKey(words, func(a, b int) int { return a + b }))
	h.Start()
	f.feed(t, "a", "b", "a")
	h.Advance(1)
	f.feed(t, "b")
	h.Advance(1)
	checkBatches(t, h, out, [][]string{{"(a,2)", "(b,1)"}, {"(b,1)"}})
}
