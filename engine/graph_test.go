package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/streamtest"
)

// newBareContext is a context with no checkpoint directory on a manual
// clock, as an application would build it without streamtest.
func newBareContext(t *testing.T) *engine.Context {
	t.Helper()
	c := conf.Defaults()
	if err := c.Set(conf.Master, "local[2]"); err != nil {
		t.Fatal(err)
	}
	ssc, err := engine.NewContext(c, time.Second, engine.WithClock(engine.NewManualClock(streamtest.Epoch)),
		engine.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ssc.Stop(false) })
	return ssc
}

func discard[T any](d *engine.DStream[T]) {
	d.ForeachRDD(func(context.Context, time.Time, *engine.RDD[T]) error { return nil })
}

func sumInts(a, b int) int { return a + b }
func subInts(a, b int) int { return a - b }

func TestGraphErrors(t *testing.T) {
	s := time.Second
	cases := []struct {
		name  string
		build func(ssc *engine.Context, in *engine.DStream[int], kv *engine.DStream[kvi])
		want  []string // every one must appear in Start's error
	}{
		{"window not a multiple of the batch", func(_ *engine.Context, in *engine.DStream[int], _ *engine.DStream[kvi]) {
			discard(in.Window(1500*time.Millisecond, s))
		}, []string{"window", "window duration 1.5s", "slide duration 1s"}},
		{"slide not a multiple of the batch", func(_ *engine.Context, in *engine.DStream[int], _ *engine.DStream[kvi]) {
			discard(in.Window(3*s, 2500*time.Millisecond))
		}, []string{"window", "slide duration 2.5s", "1s"}},
		{"zero window", func(_ *engine.Context, in *engine.DStream[int], _ *engine.DStream[kvi]) {
			discard(in.Window(0, s))
		}, []string{"window duration 0s", "positive multiple"}},
		{"window of a window not a multiple of its slide", func(_ *engine.Context, in *engine.DStream[int], _ *engine.DStream[kvi]) {
			discard(in.Window(2*s, 2*s).Window(3*s, 2*s))
		}, []string{"window duration 3s", "slide duration 2s"}},
		{"reduceByKeyAndWindow", func(_ *engine.Context, _ *engine.DStream[int], kv *engine.DStream[kvi]) {
			discard(engine.ReduceByKeyAndWindow(kv, sumInts, 2500*time.Millisecond, s))
		}, []string{"window duration 2.5s", "1s"}},
		{"reduceByKeyAndWindow with inverse", func(_ *engine.Context, _ *engine.DStream[int], kv *engine.DStream[kvi]) {
			discard(engine.ReduceByKeyAndWindowInv(kv, sumInts, subInts, 2*s, 1200*time.Millisecond, nil))
		}, []string{"reduceByKeyAndWindow", "slide duration 1.2s"}},
		{"countByWindow", func(_ *engine.Context, in *engine.DStream[int], _ *engine.DStream[kvi]) {
			discard(in.CountByWindow(1100*time.Millisecond, s))
		}, []string{"window duration 1.1s"}},
		{"reduceByWindow", func(_ *engine.Context, in *engine.DStream[int], _ *engine.DStream[kvi]) {
			discard(in.ReduceByWindow(sumInts, 2*s, 1500*time.Millisecond))
		}, []string{"slide duration 1.5s"}},
		{"countByValueAndWindow", func(_ *engine.Context, in *engine.DStream[int], _ *engine.DStream[kvi]) {
			discard(engine.CountByValueAndWindow(in, 500*time.Millisecond, s))
		}, []string{"window duration 500ms"}},
		{"union of different slides", func(_ *engine.Context, in *engine.DStream[int], _ *engine.DStream[kvi]) {
			discard(in.Union(in.Window(2*s, 2*s)))
		}, []string{"union", "slide durations differ", "1s", "2s"}},
		{"join of different slides", func(_ *engine.Context, _ *engine.DStream[int], kv *engine.DStream[kvi]) {
			discard(engine.Join(kv, kv.Window(3*s, 3*s)))
		}, []string{"join", "slide durations differ", "1s", "3s"}},
		{"cogroup of different slides", func(_ *engine.Context, _ *engine.DStream[int], kv *engine.DStream[kvi]) {
			discard(engine.CoGroup(kv.Window(2*s, 2*s), kv))
		}, []string{"cogroup", "slide durations differ"}},
		{"fullOuterJoin of different slides", func(_ *engine.Context, _ *engine.DStream[int], kv *engine.DStream[kvi]) {
			discard(engine.FullOuterJoin(kv, kv.Window(2*s, 2*s)))
		}, []string{"fullOuterJoin", "slide durations differ"}},
		{"mapWithState without a function", func(_ *engine.Context, _ *engine.DStream[int], kv *engine.DStream[kvi]) {
			discard(engine.MapWithState(kv, engine.StateSpec[string, int, int, int]{}).DStream)
		}, []string{"mapWithState", "Func is nil"}},
		{"no output operations", func(*engine.Context, *engine.DStream[int], *engine.DStream[kvi]) {},
			[]string{"no output operations"}},
		{"two errors are both reported", func(_ *engine.Context, in *engine.DStream[int], _ *engine.DStream[kvi]) {
			discard(in.Window(1500*time.Millisecond, s))
			discard(in.Window(2*s, 700*time.Millisecond))
		}, []string{"1.5s", "700ms"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := streamtest.New(t, time.Second) // with a checkpoint directory
			in, _ := streamtest.Input[int](h)
			kv := engine.Map(in, func(x int) kvi { return engine.KV("k", x) })
			tc.build(h.Ctx, in, kv)
			err := h.Ctx.Start()
			if err == nil {
				t.Fatal("Start succeeded; want an error")
			}
			if !containsAll(err.Error(), tc.want...) {
				t.Errorf("Start error %q should mention %q", err, tc.want)
			}
			// the context did not start: it can be stopped without hanging
			h.Ctx.Stop(false)
		})
	}
}

// TestStatefulNeedsCheckpoint: every stateful operator refuses to start
// without a checkpoint directory, saying how to set one.
func TestStatefulNeedsCheckpoint(t *testing.T) {
	s := time.Second
	cases := []struct {
		name  string
		build func(kv *engine.DStream[kvi])
		op    string
	}{
		{"updateStateByKey", func(kv *engine.DStream[kvi]) {
			discard(engine.UpdateStateByKey(kv, func(_ []int, st engine.Opt[int]) engine.Opt[int] { return st }))
		}, "updateStateByKey"},
		{"mapWithState", func(kv *engine.DStream[kvi]) {
			discard(engine.MapWithState(kv, engine.StateSpec[string, int, int, int]{
				Func: func(time.Time, string, engine.Opt[int], *engine.State[int]) int { return 0 },
			}).DStream)
		}, "mapWithState"},
		{"reduceByKeyAndWindow with inverse", func(kv *engine.DStream[kvi]) {
			discard(engine.ReduceByKeyAndWindowInv(kv, sumInts, subInts, 2*s, s, nil))
		}, "reduceByKeyAndWindow"},
		{"countByWindow", func(kv *engine.DStream[kvi]) { discard(kv.CountByWindow(2*s, s)) }, "reduceByKeyAndWindow"},
		{"countByValueAndWindow", func(kv *engine.DStream[kvi]) {
			discard(engine.CountByValueAndWindow(kv, 2*s, s))
		}, "reduceByKeyAndWindow"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ssc := newBareContext(t)
			q := engine.NewQueue[kvi]()
			tc.build(engine.QueueStream(ssc, q, true))
			err := ssc.Start()
			if err == nil {
				t.Fatal("Start succeeded without a checkpoint directory")
			}
			if !containsAll(err.Error(), tc.op, "checkpoint directory", "Checkpoint(dir)", conf.CheckpointDirectory) {
				t.Errorf("error %q should name %s and say how to set a checkpoint directory", err, tc.op)
			}
		})
	}
}

// TestStatelessNeedsNoCheckpoint: windows without an inverse function keep
// no state, so they start without a checkpoint directory.
func TestStatelessNeedsNoCheckpoint(t *testing.T) {
	ssc := newBareContext(t)
	in := engine.QueueStream(ssc, engine.NewQueue[kvi](), true)
	discard(engine.ReduceByKeyAndWindow(in, sumInts, 3*time.Second, time.Second))
	discard(in.Window(2*time.Second, time.Second))
	if err := ssc.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
}

func TestContextLifecycleErrors(t *testing.T) {
	ssc := newBareContext(t)
	discard(engine.QueueStream(ssc, engine.NewQueue[int](), true))
	if err := ssc.Start(); err != nil {
		t.Fatal(err)
	}
	if err := ssc.Start(); err == nil || !strings.Contains(err.Error(), "already started") {
		t.Errorf("second Start: %v", err)
	}
	ssc.Stop(false)
	if err := ssc.Start(); err == nil || !strings.Contains(err.Error(), "stopped") {
		t.Errorf("Start after Stop: %v", err)
	}
	if err := waitDone(t, ssc); err != nil {
		t.Errorf("a requested stop is not an error: %v", err)
	}
}

func TestNewContextRejectsBadBatch(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second, 1500 * time.Microsecond} {
		if _, err := engine.NewContext(nil, d); err == nil {
			t.Errorf("NewContext(%s) succeeded", d)
		}
	}
}

// TestBatchTimesAreMultiplesOfTheBatch: as in Spark, batch times are whole
// multiples of the batch duration counted from the Unix epoch, whatever the
// duration (7s does not divide the span from year 1 to 1970).
func TestBatchTimesAreMultiplesOfTheBatch(t *testing.T) {
	for _, d := range []time.Duration{time.Second, 7 * time.Second, 700 * time.Millisecond, 11 * time.Millisecond} {
		t.Run(d.String(), func(t *testing.T) {
			h := streamtest.New(t, d)
			in, q := streamtest.Input[int](h)
			var times []time.Time
			in.ForeachRDD(func(_ context.Context, bt time.Time, _ *engine.RDD[int]) error {
				times = append(times, bt)
				return nil
			})
			h.Start()
			q.Push(1)
			q.Push(2)
			h.Advance(2)
			if len(times) != 2 {
				t.Fatalf("got %d batches", len(times))
			}
			for i, bt := range times {
				if bt.UnixMilli()%d.Milliseconds() != 0 {
					t.Errorf("batch time %d ms is not a multiple of %s", bt.UnixMilli(), d)
				}
				if !bt.Equal(h.BatchTime(i)) {
					t.Errorf("batch %d at %d ms; the harness says %d ms", i, bt.UnixMilli(), h.BatchTime(i).UnixMilli())
				}
			}
			if got := times[1].Sub(times[0]); got != d {
				t.Errorf("batches %s apart", got)
			}
			if first := times[0]; first.Before(streamtest.Epoch) || first.Sub(streamtest.Epoch) > d {
				t.Errorf("first batch at %d ms; the clock started at %d ms", first.UnixMilli(), streamtest.Epoch.UnixMilli())
			}
		})
	}
}
