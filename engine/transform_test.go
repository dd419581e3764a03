package engine_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/rdd"
	"github.com/gostream/gostream/engine/streamtest"
)

// TestTransformWith is Spark's transformWith test (BasicOperationsSuite): a
// join of two streams' RDDs inside the function, batch by batch, with the
// batch time handed to the function.
func TestTransformWith(t *testing.T) {
	h := streamtest.New(t, time.Second)
	s1, q1 := streamtest.Input[string](h)
	s2, q2 := streamtest.Input[string](h)
	t1 := engine.Map(s1, func(x string) engine.Pair[string, int] { return engine.KV(x, 1) })
	t2 := engine.Map(s2, func(x string) engine.Pair[string, string] { return engine.KV(x, "x") })
	var times []time.Time
	joined := engine.TransformWith(t1, t2, func(a *engine.RDD[engine.Pair[string, int]], b *engine.RDD[engine.Pair[string, string]],
		bt time.Time) (*engine.RDD[engine.Pair[string, engine.Joined[int, string]]], error) {
		times = append(times, bt)
		return rdd.Join(a, b, 2), nil
	})
	out := streamtest.Collect(h, joined)
	h.Start()
	pushAll(q1, [][]string{{"a", "b"}, {"a", ""}, {""}, {}})
	pushAll(q2, [][]string{{"a", "b"}, {"b", ""}, {}, {""}})
	h.Advance(4)
	checkBatches(t, h, out, [][]string{{"(a,(1,x))", "(b,(1,x))"}, {"(,(1,x))"}, {}, {}})
	for i, bt := range times {
		if !bt.Equal(h.BatchTime(i)) {
			t.Errorf("call %d got batch time %d, want %d", i, bt.UnixMilli(), h.BatchTime(i).UnixMilli())
		}
	}
}

// TestTransformWithFailures: an error of the function fails its batch with
// it; no RDD fails it with ErrNoRDD naming the operator and the batch.
func TestTransformWithFailures(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name string
		ret  error // returned with a nil RDD at the second batch
		want []string
	}{
		{"error", boom, []string{"boom"}},
		{"no RDD", nil, []string{"transformWith", "no RDD", "rdd.Empty"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := streamtest.New(t, time.Second)
			a, qa := streamtest.Input[int](h)
			b, qb := streamtest.Input[string](h)
			out := streamtest.Collect(h, engine.TransformWith(a, b, func(ra *engine.RDD[int], _ *engine.RDD[string], bt time.Time) (*engine.RDD[int], error) {
				if bt.Equal(h.BatchTime(1)) {
					return nil, tc.ret
				}
				return ra, nil
			}))
			h.Start()
			pushAll(qa, [][]int{{1}, {2}})
			pushAll(qb, [][]string{{"x"}, {"y"}})
			h.Advance(1)
			err := h.TryAdvance(1)
			if err == nil || !containsAll(err.Error(), append(tc.want, fmt.Sprint(h.BatchTime(1).UnixMilli()))...) {
				t.Fatalf("the second batch must fail naming %q and the batch; got %v", tc.want, err)
			}
			if tc.ret == nil && !errors.Is(err, engine.ErrNoRDD) {
				t.Errorf("want ErrNoRDD: %v", err)
			}
			if tc.ret != nil && !errors.Is(err, boom) {
				t.Errorf("want the function's error: %v", err)
			}
			checkBatches(t, h, out, [][]string{{"1"}, nil})
		})
	}
}

// TestTransformStreams is Spark's StreamingContext.transform: one function
// gets the RDDs of several streams of different element types, in the
// order given, and the batch time.
func TestTransformStreams(t *testing.T) {
	h := streamtest.New(t, time.Second)
	ints, qi := streamtest.Input[int](h)
	words, qw := streamtest.Input[string](h)
	pairs, qp := streamtest.Input[engine.Pair[string, int]](h)
	var times []time.Time
	out := streamtest.Collect(h, engine.TransformStreams(h.Ctx, []engine.AnyDStream{ints, words, pairs},
		func(rdds []any, bt time.Time) (*engine.RDD[string], error) {
			times = append(times, bt)
			if len(rdds) != 3 {
				return nil, fmt.Errorf("got %d RDDs, want 3", len(rdds))
			}
			ri, ok1 := rdds[0].(*engine.RDD[int])
			rw, ok2 := rdds[1].(*engine.RDD[string])
			rp, ok3 := rdds[2].(*engine.RDD[engine.Pair[string, int]])
			if !ok1 || !ok2 || !ok3 {
				return nil, fmt.Errorf("RDD types %T %T %T, want the streams' in their order", rdds[0], rdds[1], rdds[2])
			}
			n := rdd.Map(ri, func(x int) string { return fmt.Sprint(x) })
			p := rdd.Map(rp, func(kv engine.Pair[string, int]) string { return kv.String() })
			return rdd.Union(h.Ctx.Env(), n, rw, p), nil
		}))
	h.Start()
	pushAll(qi, [][]int{{1, 2}, {}, {3}})
	pushAll(qw, [][]string{{"a"}, {"b"}, {}})
	pushAll(qp, [][]engine.Pair[string, int]{{engine.KV("k", 1)}, {}, {engine.KV("m", 2)}})
	h.Advance(3)
	checkBatches(t, h, out, [][]string{strs("1", "2", "a", "(k,1)"), {"b"}, strs("3", "(m,2)")})
	if len(times) != 3 || !times[2].Equal(h.BatchTime(2)) {
		t.Errorf("batch times given: %v", times)
	}
}

func TestTransformStreamsNoRDDFailsBatch(t *testing.T) {
	h := streamtest.New(t, time.Second)
	in, q := streamtest.Input[int](h)
	out := streamtest.Collect(h, engine.TransformStreams(h.Ctx, []engine.AnyDStream{in}, func(rdds []any, bt time.Time) (*engine.RDD[int], error) {
		if bt.Equal(h.BatchTime(1)) {
			return nil, nil
		}
		return rdds[0].(*engine.RDD[int]), nil
	}))
	h.Start()
	pushAll(q, [][]int{{1}, {2}})
	h.Advance(1)
	err := h.TryAdvance(1)
	if !errors.Is(err, engine.ErrNoRDD) || !containsAll(err.Error(), "transformStreams", fmt.Sprint(h.BatchTime(1).UnixMilli())) {
		t.Fatalf("want ErrNoRDD naming transformStreams and the batch; got %v", err)
	}
	checkBatches(t, h, out, [][]string{{"1"}, nil})
}

func TestTransformGraphErrors(t *testing.T) {
	s := time.Second
	ident := func(rdds []any, _ time.Time) (*engine.RDD[int], error) { return rdds[0].(*engine.RDD[int]), nil }
	other := newBareContext(t)
	otherIn := engine.QueueStream(other, engine.NewQueue[int](), true)
	cases := []struct {
		name  string
		build func(ssc *engine.Context, in *engine.DStream[int])
		want  []string
	}{
		{"transformWith of different slides", func(_ *engine.Context, in *engine.DStream[int]) {
			discard(engine.TransformWith(in, in.Window(2*s, 2*s), func(a, _ *engine.RDD[int], _ time.Time) (*engine.RDD[int], error) { return a, nil }))
		}, []string{"transformWith", "slide durations differ", "1s", "2s"}},
		{"transformWith without a function", func(_ *engine.Context, in *engine.DStream[int]) {
			discard(engine.TransformWith[int, int, int](in, in, nil))
		}, []string{"transformWith", "function is nil"}},
		{"transformStreams of no streams", func(ssc *engine.Context, _ *engine.DStream[int]) {
			discard(engine.TransformStreams(ssc, nil, ident))
		}, []string{"transformStreams", "no streams"}},
		{"transformStreams of different slides", func(ssc *engine.Context, in *engine.DStream[int]) {
			discard(engine.TransformStreams(ssc, []engine.AnyDStream{in, in.Window(3*s, 3*s)}, ident))
		}, []string{"transformStreams", "slide durations differ", "3s"}},
		{"transformStreams of another context's stream", func(ssc *engine.Context, in *engine.DStream[int]) {
			discard(engine.TransformStreams(ssc, []engine.AnyDStream{in, otherIn}, ident))
		}, []string{"transformStreams", "stream 1", "another streaming context"}},
		{"transformStreams of a nil stream", func(ssc *engine.Context, in *engine.DStream[int]) {
			var none *engine.DStream[string]
			discard(engine.TransformStreams(ssc, []engine.AnyDStream{in, none}, ident))
		}, []string{"transformStreams", "stream 1", "is nil"}},
		{"transformStreams without a function", func(ssc *engine.Context, in *engine.DStream[int]) {
			discard(engine.TransformStreams[int](ssc, []engine.AnyDStream{in}, nil))
		}, []string{"transformStreams", "function is nil"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := streamtest.New(t, time.Second)
			in, _ := streamtest.Input[int](h)
			tc.build(h.Ctx, in)
			err := h.Ctx.Start()
			if err == nil || !containsAll(err.Error(), tc.want...) {
				t.Fatalf("Start error %v should mention %q", err, tc.want)
			}
		})
	}
}
