package engine_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/streamtest"
)

// eventLog records every batch and output-operation event, in order.
type eventLog struct {
	engine.NopListener
	mu      sync.Mutex
	events  []string
	batches map[string][]engine.BatchInfo // kind → infos
	ops     map[string][]engine.OutputOpInfo
}

func newEventLog() *eventLog {
	return &eventLog{batches: map[string][]engine.BatchInfo{}, ops: map[string][]engine.OutputOpInfo{}}
}

func (l *eventLog) batch(kind string, i engine.BatchInfo) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, fmt.Sprintf("%s %d", kind, i.BatchTime.UnixMilli()))
	l.batches[kind] = append(l.batches[kind], i)
}

func (l *eventLog) op(kind string, i engine.OutputOpInfo) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, fmt.Sprintf("%s %d #%d %s", kind, i.BatchTime.UnixMilli(), i.ID, i.Name))
	l.ops[kind] = append(l.ops[kind], i)
}

func (l *eventLog) OnBatchSubmitted(i engine.BatchInfo) { l.batch("submitted", i) }
func (l *eventLog) OnBatchStarted(i engine.BatchInfo)   { l.batch("started", i) }
func (l *eventLog) OnBatchCompleted(i engine.BatchInfo) { l.batch("completed", i) }
func (l *eventLog) OnOutputOperationStarted(i engine.OutputOpInfo) {
	l.op("opStarted", i)
}
func (l *eventLog) OnOutputOperationCompleted(i engine.OutputOpInfo) {
	l.op("opCompleted", i)
}

func (l *eventLog) count(kind string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.batches[kind]) + len(l.ops[kind])
}

func (l *eventLog) snapshot() ([]string, map[string][]engine.BatchInfo, map[string][]engine.OutputOpInfo) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := map[string][]engine.BatchInfo{}
	for k, v := range l.batches {
		b[k] = slices.Clone(v)
	}
	o := map[string][]engine.OutputOpInfo{}
	for k, v := range l.ops {
		o[k] = slices.Clone(v)
	}
	return slices.Clone(l.events), b, o
}

func TestListenerBatchEvents(t *testing.T) {
	h := streamtest.New(t, time.Second)
	log := newEventLog()
	h.Ctx.AddListener(log)
	in, q := streamtest.Input[int](h) // the first operator: stream id 0
	in.ForeachRDD(func(context.Context, time.Time, *engine.RDD[int]) error {
		h.Clock.Advance(250 * time.Millisecond) // the job takes 250ms of the clock
		return nil
	})
	in.Count().Print(1)
	h.Start()
	q.Push(1, 2, 3)
	q.Push()
	h.Advance(2)
	eventually(t, "all events", func() bool { return log.count("opCompleted") == 4 && log.count("completed") == 2 })
	events, batches, ops := log.snapshot()

	var want []string
	for i := range 2 {
		ms := h.BatchTime(i).UnixMilli()
		want = append(want,
			fmt.Sprintf("submitted %d", ms), fmt.Sprintf("started %d", ms),
			fmt.Sprintf("opStarted %d #0 foreachRDD", ms), fmt.Sprintf("opCompleted %d #0 foreachRDD", ms),
			fmt.Sprintf("opStarted %d #1 print", ms), fmt.Sprintf("opCompleted %d #1 print", ms),
			fmt.Sprintf("completed %d", ms))
	}
	// the harness's own Collect output is absent: it adds none here
	if !slices.Equal(events, want) {
		t.Errorf("events:\n%q\nwant:\n%q", events, want)
	}
	for i, records := range []int64{3, 0} {
		bi := batches["completed"][i]
		if bi.NumRecords() != records || bi.StreamRecords[0] != records {
			t.Errorf("batch %d: records %d (%v), want %d for stream 0", i, bi.NumRecords(), bi.StreamRecords, records)
		}
		if sub := batches["submitted"][i]; sub.NumRecords() != records {
			t.Errorf("batch %d submitted with %d records, want %d", i, sub.NumRecords(), records)
		}
		if !bi.BatchTime.Equal(h.BatchTime(i)) || !bi.SubmissionTime.Equal(h.BatchTime(i)) {
			t.Errorf("batch %d: time %v submitted %v", i, bi.BatchTime, bi.SubmissionTime)
		}
		if bi.SchedulingDelay() != 0 || bi.ProcessingDelay() != 250*time.Millisecond || bi.TotalDelay() != 250*time.Millisecond {
			t.Errorf("batch %d delays: scheduling %s processing %s total %s; want 0, 250ms, 250ms",
				i, bi.SchedulingDelay(), bi.ProcessingDelay(), bi.TotalDelay())
		}
		if bi.Err != nil {
			t.Errorf("batch %d: Err %v", i, bi.Err)
		}
		if len(bi.OutputOps) != 2 || bi.OutputOps[0].Name != "foreachRDD" || bi.OutputOps[1].Name != "print" {
			t.Errorf("batch %d output ops: %+v", i, bi.OutputOps)
		} else if d := bi.OutputOps[0].End.Sub(bi.OutputOps[0].Start); d != 250*time.Millisecond {
			t.Errorf("batch %d: the foreachRDD op took %s, want 250ms", i, d)
		}
	}
	for _, o := range ops["opCompleted"] {
		if o.End.IsZero() || o.End.Before(o.Start) || o.Err != nil {
			t.Errorf("completed op %+v", o)
		}
	}
	for _, o := range ops["opStarted"] {
		if !o.End.IsZero() {
			t.Errorf("started op already has an end: %+v", o)
		}
	}
}

// TestListenerSchedulingDelay: a batch waiting behind a slow one shows the
// wait as its scheduling delay.
func TestListenerSchedulingDelay(t *testing.T) {
	m := newManualCtx(t, time.Second, nil)
	log := newEventLog()
	m.ssc.AddListener(log)
	q := engine.NewQueue[int]()
	release := make(chan struct{})
	first := true
	engine.QueueStream(m.ssc, q, true).ForeachRDD(func(context.Context, time.Time, *engine.RDD[int]) error {
		if first { // jobs of one context run one at a time by default
			first = false
			<-release
		}
		return nil
	})
	if err := m.ssc.Start(); err != nil {
		t.Fatal(err)
	}
	t1, t2 := streamtest.Epoch.Add(time.Second), streamtest.Epoch.Add(2*time.Second)
	m.clock.Set(t1)
	eventually(t, "batch 1 to start", func() bool { return log.count("started") == 1 })
	m.clock.Set(t2)
	eventually(t, "batch 2 to be submitted", func() bool { return log.count("submitted") == 2 })
	m.clock.Set(t2.Add(300 * time.Millisecond))
	close(release)
	if err := m.waitCompleted(2); err != nil {
		t.Fatal(err)
	}
	eventually(t, "completion events", func() bool { return log.count("completed") == 2 })
	_, batches, _ := log.snapshot()
	b1, b2 := batches["completed"][0], batches["completed"][1]
	if b1.SchedulingDelay() != 0 || b1.ProcessingDelay() != 1300*time.Millisecond {
		t.Errorf("batch 1: scheduling %s processing %s; want 0 and 1.3s", b1.SchedulingDelay(), b1.ProcessingDelay())
	}
	if b2.SchedulingDelay() != 300*time.Millisecond || b2.ProcessingDelay() != 0 || b2.TotalDelay() != 300*time.Millisecond {
		t.Errorf("batch 2: scheduling %s processing %s total %s; want 300ms, 0, 300ms",
			b2.SchedulingDelay(), b2.ProcessingDelay(), b2.TotalDelay())
	}
}

// TestListenerFailedOutput: a failing output operation's completion event
// carries the error.
func TestListenerFailedOutput(t *testing.T) {
	h := streamtest.New(t, time.Second)
	log := newEventLog()
	h.Ctx.AddListener(log)
	in, q := streamtest.Input[int](h)
	boom := errors.New("write refused")
	in.ForeachRDD(func(context.Context, time.Time, *engine.RDD[int]) error { return boom })
	h.Start()
	q.Push(1)
	if err := h.TryAdvance(1); !errors.Is(err, boom) {
		t.Fatalf("TryAdvance: %v", err)
	}
	waitDone(t, h.Ctx)
	_, _, ops := log.snapshot()
	done := ops["opCompleted"]
	if len(done) != 1 || !errors.Is(done[0].Err, boom) || done[0].Name != "foreachRDD" {
		t.Errorf("output completion events: %+v", done)
	}
}

// TestListenerEventsWithReceiver: a batch's records count the blocks its
// receiver stream took.
func TestListenerEventsWithReceiver(t *testing.T) {
	h := streamtest.New(t, time.Second)
	log := newEventLog()
	h.Ctx.AddListener(log)
	f := newBlockFeeder[string]()
	_, qs := streamtest.Input[string](h)                    // stream 0
	rs := engine.ReceiverStream[string](h.Ctx, "feeder", f) // stream 1
	streamtest.Collect(h, rs)
	h.Start()
	f.feed(t, "a", "b")
	f.feed(t, "c")
	qs.Push("q")
	h.Advance(1)
	eventually(t, "the completion event", func() bool { return log.count("completed") == 1 })
	_, batches, _ := log.snapshot()
	bi := batches["completed"][0]
	if bi.StreamRecords[1] != 3 || bi.StreamRecords[0] != 1 || bi.NumRecords() != 4 {
		t.Errorf("records per stream %v (total %d); want stream 1: 3, stream 0: 1", bi.StreamRecords, bi.NumRecords())
	}
}
