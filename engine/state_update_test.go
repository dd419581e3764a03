package engine_test

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/rdd"
	"github.com/gostream/gostream/engine/streamtest"
)

// wordsOf pairs each word with 1.
func wordsOf(in *engine.DStream[string]) *engine.DStream[kvi] {
	return engine.Map(in, func(w string) kvi { return engine.KV(w, 1) })
}

func sumState(values []int, state engine.Opt[int]) engine.Opt[int] {
	n := state.Value
	for _, v := range values {
		n += v
	}
	return engine.Some(n)
}

// updateInput is Spark's input for its updateStateByKey tests with an
// initial RDD (BasicOperationsSuite).
var updateInput = [][]string{{"a"}, {"a", "b"}, {"a", "b", "c"}, {"a", "b"}, {"a"}, {}}

// TestUpdateStateByKeyWithInitial is Spark's "updateStateByKey - with
// initial value RDD": the initial keys are in the state from the first
// batch, including c, which has no data before the third.
func TestUpdateStateByKeyWithInitial(t *testing.T) {
	h := streamtest.New(t, time.Second)
	in, q := streamtest.Input[string](h)
	initial := rdd.Parallelize(h.Ctx.Env(), []kvi{ki("a", 1), ki("c", 2)}, 2)
	state := engine.UpdateStateByKeyWithInitial(wordsOf(in), sumState, initial)
	out := streamtest.Collect(h, state)
	h.Start()
	pushAll(q, updateInput)
	h.Advance(len(updateInput))
	checkBatches(t, h, out, [][]string{
		strs("(a,2)", "(c,2)"),
		strs("(a,3)", "(b,1)", "(c,2)"),
		strs("(a,4)", "(b,2)", "(c,3)"),
		strs("(a,5)", "(b,3)", "(c,3)"),
		strs("(a,6)", "(b,3)", "(c,3)"),
		strs("(a,6)", "(b,3)", "(c,3)"),
	})
}

// TestUpdateStateByKeyWithTime is Spark's "updateStateByKey - testing time
// stamps as input": the function gets the batch time and the key; an
// initial key without data keeps its state.
func TestUpdateStateByKeyWithTime(t *testing.T) {
	h := streamtest.New(t, time.Second)
	in, q := streamtest.Input[string](h)
	initial := rdd.Parallelize(h.Ctx.Env(), []engine.Pair[string, int64]{engine.KV("a", int64(0)), engine.KV("c", int64(0))}, 1)
	var wrongKey []string
	state := engine.UpdateStateByKeyWithTime(wordsOf(in), func(bt time.Time, key string, values []int, s engine.Opt[int64]) engine.Opt[int64] {
		for _, v := range values {
			if v != 1 {
				wrongKey = append(wrongKey, key)
			}
		}
		if len(values) > 0 {
			return engine.Some(bt.UnixMilli())
		}
		if !s.Ok {
			return engine.Some(int64(-1))
		}
		return s
	}, initial, 3)
	parts := map[int]bool{}
	state.ForeachRDD(func(_ context.Context, _ time.Time, r *engine.RDD[engine.Pair[string, int64]]) error {
		parts[r.NumPartitions()] = true
		return nil
	})
	out := streamtest.Collect(h, state)
	h.Start()
	pushAll(q, updateInput)
	h.Advance(len(updateInput))
	at := func(key string, batch int) string { return fmt.Sprintf("(%s,%d)", key, h.BatchTime(batch).UnixMilli()) }
	checkBatches(t, h, out, [][]string{
		strs(at("a", 0), "(c,0)"),
		strs(at("a", 1), at("b", 1), "(c,0)"),
		strs(at("a", 2), at("b", 2), at("c", 2)),
		strs(at("a", 3), at("b", 3), at("c", 2)),
		strs(at("a", 4), at("b", 3), at("c", 2)),
		strs(at("a", 4), at("b", 3), at("c", 2)),
	})
	if !maps.Equal(parts, map[int]bool{3: true}) {
		t.Errorf("state partition counts %v, want 3 (the argument)", parts)
	}
	if len(wrongKey) > 0 {
		t.Errorf("values handed with the wrong keys: %v", wrongKey)
	}
}

// TestUpdateStateByKeyPartitions: the per-partition form sees each key once
// per batch with its values and previous state, removes the keys it does
// not yield, and may yield keys it was not given: such a key is one key of
// the state afterwards, wherever it was yielded.
func TestUpdateStateByKeyPartitions(t *testing.T) {
	h := streamtest.New(t, time.Second)
	in, q := streamtest.Input[string](h)
	var badTime []time.Time
	state := engine.UpdateStateByKeyPartitions(wordsOf(in), func(bt time.Time, keys iter.Seq[engine.StateUpdate[string, int, int]]) iter.Seq[kvi] {
		return func(yield func(kvi) bool) {
			for u := range keys {
				if (bt.Sub(h.BatchTime(0)))%time.Second != 0 {
					badTime = append(badTime, bt)
				}
				s := sumState(u.Values, u.State)
				switch {
				case u.Key == "x": // removed: not yielded
				case u.Key == "a" && !u.State.Ok: // a's first batch also starts "derived" (placed elsewhere than a)
					if !yield(engine.KV("a", s.Value)) || !yield(engine.KV("derived", 100)) {
						return
					}
				default:
					if !yield(engine.KV(u.Key, s.Value)) {
						return
					}
				}
			}
		}
	}, nil, 4)
	out := streamtest.Collect(h, state)
	h.Start()
	pushAll(q, [][]string{{"a", "b", "x"}, {"derived", "c"}, {"derived", "b", "d"}, {}})
	h.Advance(4)
	checkBatches(t, h, out, [][]string{
		strs("(a,1)", "(b,1)", "(derived,100)"),
		strs("(a,1)", "(b,1)", "(c,1)", "(derived,101)"),
		strs("(a,1)", "(b,2)", "(c,1)", "(d,1)", "(derived,102)"),
		strs("(a,1)", "(b,2)", "(c,1)", "(d,1)", "(derived,102)"),
	})
	if len(badTime) > 0 {
		t.Errorf("the function got times off the batches: %v", badTime)
	}
}

// TestMapWithStateInitialState is Spark's "mapWithState - initial states,
// with nothing returned as from mapping function": the state snapshots hold
// the initial keys from the first batch, and the function sees their state.
func TestMapWithStateInitialState(t *testing.T) {
	h := streamtest.New(t, time.Second)
	in, q := streamtest.Input[string](h)
	initial := rdd.Parallelize(h.Ctx.Env(), []kvi{ki("a", 5), ki("b", 10), ki("c", -20), ki("d", 0)}, 3)
	m := engine.MapWithState(wordsOf(in), engine.StateSpec[string, int, int, int]{
		Func: func(_ time.Time, _ string, v engine.Opt[int], s *engine.State[int]) int {
			s.Update(s.Get() + v.Value)
			return s.Get()
		},
		Initial: initial,
	})
	mapped := streamtest.Collect(h, m.DStream)
	snaps := streamtest.Collect(h, m.StateSnapshots())
	h.Start()
	pushAll(q, [][]string{{}, {"a"}, {"a", "b"}, {"a", "b", "c"}, {"a", "b", "c", "d"}})
	h.Advance(5)
	checkBatches(t, h, snaps, [][]string{
		strs("(a,5)", "(b,10)", "(c,-20)", "(d,0)"),
		strs("(a,6)", "(b,10)", "(c,-20)", "(d,0)"),
		strs("(a,7)", "(b,11)", "(c,-20)", "(d,0)"),
		strs("(a,8)", "(b,12)", "(c,-19)", "(d,0)"),
		strs("(a,9)", "(b,13)", "(c,-18)", "(d,1)"),
	})
	checkBatches(t, h, mapped, [][]string{{}, {"6"}, strs("7", "11"), strs("8", "12", "-19"), strs("9", "13", "-18", "1")})
}

// TestMapWithStateInitialStateTimesOut: an initial key is idle from the
// first batch and times out, like any key, once idle longer than the
// timeout.
func TestMapWithStateInitialStateTimesOut(t *testing.T) {
	h := streamtest.New(t, time.Second)
	in, q := streamtest.Input[string](h)
	m := engine.MapWithState(wordsOf(in), engine.StateSpec[string, int, int, string]{
		Func: func(_ time.Time, k string, v engine.Opt[int], s *engine.State[int]) string {
			if s.IsTimingOut() {
				return fmt.Sprintf("%s:timeout(%d)", k, s.Get())
			}
			s.Update(s.Get() + v.Value)
			return fmt.Sprintf("%s:%d", k, s.Get())
		},
		Timeout: 2 * time.Second,
		Initial: rdd.Parallelize(h.Ctx.Env(), []kvi{ki("z", 7), ki("a", 1)}, 1),
	})
	out := streamtest.Collect(h, m.DStream)
	h.Start()
	pushAll(q, [][]string{{"a"}, {}, {"a"}, {}, {}})
	h.Advance(5)
	// z's state dates from batch 0: idle 2 s at batch 2 is kept, 3 s at batch 3 is not
	checkBatches(t, h, out, [][]string{{"a:2"}, {}, {"a:3"}, {"z:timeout(7)"}, {}})
}

func TestUpdateStateByKeyNilFunction(t *testing.T) {
	for name, build := range map[string]func(kv *engine.DStream[kvi]) *engine.DStream[kvi]{
		"plain": func(kv *engine.DStream[kvi]) *engine.DStream[kvi] {
			return engine.UpdateStateByKey[string, int, int](kv, nil)
		},
		"initial": func(kv *engine.DStream[kvi]) *engine.DStream[kvi] {
			return engine.UpdateStateByKeyWithInitial[string, int, int](kv, nil, nil)
		},
		"time": func(kv *engine.DStream[kvi]) *engine.DStream[kvi] {
			return engine.UpdateStateByKeyWithTime[string, int, int](kv, nil, nil)
		},
		"partitions": func(kv *engine.DStream[kvi]) *engine.DStream[kvi] {
			return engine.UpdateStateByKeyPartitions[string, int, int](kv, nil, nil)
		},
	} {
		t.Run(name, func(t *testing.T) {
			h := streamtest.New(t, time.Second)
			in, _ := streamtest.Input[string](h)
			discard(build(wordsOf(in)))
			if err := h.Ctx.Start(); err == nil || !containsAll(err.Error(), "updateStateByKey", "update function is nil") {
				t.Fatalf("Start: %v; want the nil update function named", err)
			}
		})
	}
}

// TestInitialStateNotReappliedAfterRestart: the initial state serves the
// application's first batch only; a restart from a checkpoint continues
// from the recovered state (Spark's StateDStream uses initialRDD only when
// there is no previous state RDD, and a recovered one is there).
func TestInitialStateNotReappliedAfterRestart(t *testing.T) {
	dir := t.TempDir()
	pushes := [][]string{{"a"}, {"a", "b"}, {"b"}, {"a"}, {"c"}}
	type seen struct {
		mu             sync.Mutex
		update, mapped map[int64]map[string]int
	}
	setup := func(s *seen) engine.Setup {
		return func(ssc *engine.Context) error {
			q := engine.NewQueue[string]()
			pushAll(q, pushes)
			words := wordsOf(engine.QueueStream(ssc, q, true))
			initial := rdd.Parallelize(ssc.Env(), []kvi{ki("a", 10), ki("z", 100)}, 2)
			record := func(into map[int64]map[string]int) func(context.Context, time.Time, *engine.RDD[kvi]) error {
				return func(ctx context.Context, bt time.Time, r *engine.RDD[kvi]) error {
					items, err := r.Collect(ctx)
					m := map[string]int{}
					for _, kv := range items {
						m[kv.Key] = kv.Value
					}
					s.mu.Lock()
					into[bt.UnixMilli()] = m
					s.mu.Unlock()
					return err
				}
			}
			engine.UpdateStateByKeyWithInitial(words, sumState, initial).ForeachRDD(record(s.update))
			m := engine.MapWithState(words, engine.StateSpec[string, int, int, int]{
				Func: func(_ time.Time, _ string, v engine.Opt[int], st *engine.State[int]) int {
					st.Update(st.Get() + v.Value)
					return 0
				},
				Initial: initial,
			})
			m.StateSnapshots().ForeachRDD(record(s.mapped))
			return nil
		}
	}
	want := map[string]int{"a": 10, "z": 100}
	wantAt := func(n int) map[string]int { // after batches 1..n
		m := maps.Clone(want)
		for _, p := range pushes[:n] {
			for _, w := range p {
				m[w]++
			}
		}
		return m
	}
	first := &seen{update: map[int64]map[string]int{}, mapped: map[int64]map[string]int{}}
	r1, err := newRig(t, dir, rigStart, setup(first), nil)
	must(t, err)
	must(t, r1.ssc.Start())
	for i := 1; i <= 3; i++ {
		r1.advance(i)
	}
	r1.ssc.Stop(false)
	first.mu.Lock()
	defer first.mu.Unlock()
	for name, got := range map[string]map[string]int{"updateStateByKey": first.update[rigBatch(3).UnixMilli()], "mapWithState": first.mapped[rigBatch(3).UnixMilli()]} {
		if !maps.Equal(got, wantAt(3)) {
			t.Fatalf("first run, %s state after batch 3: %v, want %v", name, got, wantAt(3))
		}
	}

	second := &seen{update: map[int64]map[string]int{}, mapped: map[int64]map[string]int{}}
	r2, err := newRig(t, dir, rigBatch(3).Add(300*time.Millisecond), setup(second), nil)
	must(t, err)
	must(t, r2.ssc.Start())
	r2.advance(4)
	r2.advance(5)
	second.mu.Lock()
	defer second.mu.Unlock()
	for i := 4; i <= 5; i++ {
		ms := rigBatch(i).UnixMilli()
		for name, got := range map[string]map[string]int{"updateStateByKey": second.update[ms], "mapWithState": second.mapped[ms]} {
			if !maps.Equal(got, wantAt(i)) {
				t.Errorf("after the restart, %s state after batch %d: %v, want %v (the initial state applied once)", name, i, got, wantAt(i))
			}
		}
	}
}
