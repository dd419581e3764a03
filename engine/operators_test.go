package engine_test

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/rdd"
	"github.com/gostream/gostream/engine/streamtest"
)

// TestGlom is Spark's glom test: one element per partition holding its
// elements, in order; an empty partition gives an empty slice.
func TestGlom(t *testing.T) {
	h := streamtest.New(t, time.Second) // two partitions per queue batch
	in, q := streamtest.Input[int](h)
	var got [][][]int
	engine.Glom(in).ForeachRDD(func(ctx context.Context, _ time.Time, r *engine.RDD[[]int]) error {
		items, err := r.Collect(ctx)
		got = append(got, items)
		return err
	})
	h.Start()
	pushAll(q, [][]int{{1, 2, 3, 4}, {5, 6, 7, 8}, {9}})
	h.Advance(3)
	want := [][][]int{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}, {{}, {9}}}
	if fmt.Sprint(got) != fmt.Sprint(want) || len(got[2][0]) != 0 || got[2][0] == nil {
		t.Errorf("glom: %v, want %v (an empty partition as an empty slice)", got, want)
	}
}

// TestFlatMapValues is Spark's flatMapValues test: every value becomes
// the values f yields, under the same key; a value yielding none is gone.
func TestFlatMapValues(t *testing.T) {
	h := streamtest.New(t, time.Second)
	in, q := streamtest.Input[kvi](h)
	counts := engine.ReduceByKey(in, sumInts)
	out := streamtest.Collect(h, engine.FlatMapValues(counts, func(n int) iter.Seq[int] { return slices.Values([]int{n, n + 10}[:min(n, 2)]) }))
	h.Start()
	pushAll(q, [][]kvi{{ki("a", 1), ki("b", 1), ki("a", 1)}, {ki("a", 1)}, {ki("z", 0)}, {}})
	h.Advance(4)
	checkBatches(t, h, out, [][]string{strs("(a,2)", "(a,12)", "(b,1)"), {"(a,1)"}, {}, {}})
}

// groupInput is Spark's bigInput for windowed keyed tests, with each value
// its batch number so that the windows' merged groups can be told apart.
func groupInput() [][]kvi {
	keys := [][]string{{"a"}, {"a", "b"}, {"a", "b", "c"}, {"a", "b"}, {"a"}, {}}
	var out [][]kvi
	for i, ks := range append(keys, keys...) {
		var batch []kvi
		for _, k := range ks {
			batch = append(batch, ki(k, i))
		}
		out = append(out, batch)
	}
	return out
}

func sortedGroups(kv engine.Pair[string, []int]) string {
	vs := slices.Clone(kv.Value)
	slices.Sort(vs)
	return fmt.Sprintf("(%s,%v)", kv.Key, vs)
}

// TestGroupByKeyAndWindow is Spark's groupByKeyAndWindow test (window 2 s,
// slide 1 s; bigGroupByOutput) and a window sliding slower than the batch.
func TestGroupByKeyAndWindow(t *testing.T) {
	h := streamtest.New(t, time.Second)
	in, q := streamtest.Input[kvi](h)
	out := streamtest.Collect(h, engine.Map(engine.GroupByKeyAndWindow(in, 2*time.Second, time.Second), sortedGroups))
	slow := streamtest.Collect(h, engine.Map(engine.GroupByKeyAndWindow(in, 4*time.Second, 2*time.Second, 3), sortedGroups))
	h.Start()
	pushAll(q, groupInput())
	h.Advance(12)
	checkBatches(t, h, out, [][]string{
		{"(a,[0])"},
		strs("(a,[0 1])", "(b,[1])"),
		strs("(a,[1 2])", "(b,[1 2])", "(c,[2])"),
		strs("(a,[2 3])", "(b,[2 3])", "(c,[2])"),
		strs("(a,[3 4])", "(b,[3])"),
		{"(a,[4])"},
		{"(a,[6])"},
		strs("(a,[6 7])", "(b,[7])"),
		strs("(a,[7 8])", "(b,[7 8])", "(c,[8])"),
		strs("(a,[8 9])", "(b,[8 9])", "(c,[8])"),
		strs("(a,[9 10])", "(b,[9])"),
		{"(a,[10])"},
	})
	checkBatches(t, h, slow, [][]string{
		nil, strs("(a,[0 1])", "(b,[1])"),
		nil, strs("(a,[0 1 2 3])", "(b,[1 2 3])", "(c,[2])"),
		nil, strs("(a,[2 3 4])", "(b,[2 3])", "(c,[2])"),
		nil, strs("(a,[4 6 7])", "(b,[7])"),
		nil, strs("(a,[6 7 8 9])", "(b,[7 8 9])", "(c,[8])"),
		nil, strs("(a,[8 9 10])", "(b,[8 9])", "(c,[8])"),
	})
}

// TestReduceByWindowInv: Spark's reduceByWindow with an inverse function
// (window 2 s, slide 1 s) agrees with ReduceByWindow while the window has
// data; once data stops, the incremental form still emits the inverse's
// result (0) where ReduceByWindow emits nothing. Nothing before any data.
func TestReduceByWindowInv(t *testing.T) {
	h := streamtest.New(t, time.Second)
	in, q := streamtest.Input[int](h)
	inv := streamtest.Collect(h, engine.ReduceByWindowInv(in, sumInts, subInts, 2*time.Second, time.Second))
	plain := streamtest.Collect(h, in.ReduceByWindow(sumInts, 2*time.Second, time.Second))
	h.Start()
	pushAll(q, [][]int{{}, {1}, {2}, {3}, {4, 5}, {}, {}, {}})
	h.Advance(8)
	checkBatches(t, h, inv, [][]string{{}, {"1"}, {"3"}, {"5"}, {"12"}, {"9"}, {"0"}, {"0"}})
	checkBatches(t, h, plain, [][]string{{}, {"1"}, {"3"}, {"5"}, {"12"}, {"9"}, {}, {}})
}

// TestSlice follows Spark's slice test: the RDDs of a time range, rounded
// down to batch times, times up to the start having none; beyond Spark,
// RDDs not generated yet or no longer remembered are left out.
func TestSlice(t *testing.T) {
	h := streamtest.New(t, time.Second)
	in, q := streamtest.Input[int](h)
	doubled := engine.Map(in, func(x int) int { return 2 * x }) // no output reads it
	w := in.Window(2*time.Second, 2*time.Second)
	discard(in)
	discard(w)
	if _, err := in.Slice(h.BatchTime(0), h.BatchTime(3)); err == nil || !strings.Contains(err.Error(), "has not been started") {
		t.Fatalf("slice before Start: %v; want an error saying the context has not been started", err)
	}
	h.Ctx.Remember(time.Minute)
	h.Start()
	pushAll(q, [][]int{{1}, {2}, {3}, {4}})
	h.Advance(4)
	zero := h.BatchTime(-1)
	values := func(d *engine.DStream[int], from, to time.Time) []int {
		t.Helper()
		rs, err := d.Slice(from, to)
		if err != nil {
			t.Fatal(err)
		}
		var all []int
		for _, r := range rs {
			items, err := r.Collect(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, items...)
		}
		return all
	}
	for _, tc := range []struct {
		name     string
		d        *engine.DStream[int]
		from, to time.Time
		want     []int
	}{
		{"from the start, one batch", in, zero, h.BatchTime(0), []int{1}},
		{"from long before the start", in, zero.Add(-time.Hour), h.BatchTime(1), []int{1, 2}},
		{"unaligned times round down", in, h.BatchTime(1).Add(-500 * time.Millisecond), h.BatchTime(2).Add(999 * time.Millisecond), []int{1, 2, 3}},
		{"both ends included", in, h.BatchTime(1), h.BatchTime(3), []int{2, 3, 4}},
		{"not generated yet", in, h.BatchTime(3), h.BatchTime(9), []int{4}},
		{"to before from", in, h.BatchTime(3), h.BatchTime(1), nil},
		{"a stream no output reads", doubled, h.BatchTime(0), h.BatchTime(3), []int{2, 4, 6, 8}},
		{"a window: its slide's times only", w, h.BatchTime(0), h.BatchTime(3), []int{1, 2, 3, 4}},
		{"a window: an unaligned end", w, h.BatchTime(0), h.BatchTime(2), []int{1, 2}},
	} {
		if got := values(tc.d, tc.from, tc.to); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestSliceLeavesOutForgottenRDDs: without Remember, a stream keeps its
// last batch only.
func TestSliceLeavesOutForgottenRDDs(t *testing.T) {
	h := streamtest.New(t, time.Second)
	in, q := streamtest.Input[int](h)
	discard(in)
	h.Start()
	pushAll(q, [][]int{{1}, {2}, {3}})
	h.Advance(3)
	rs, err := in.Slice(h.BatchTime(0), h.BatchTime(2))
	if err != nil || len(rs) != 1 {
		t.Fatalf("slice: %d RDDs (%v), want the last batch's only", len(rs), err)
	}
	if items, _ := rs[0].Collect(context.Background()); !slices.Equal(items, []int{3}) {
		t.Errorf("slice: %v, want [3]", items)
	}
}

// TestPersist: a persisted stream read by two outputs computes each batch
// once; without Persist each output computes it (Spark's persist).
func TestPersist(t *testing.T) {
	for _, tc := range []struct {
		name    string
		persist func(*engine.DStream[int]) *engine.DStream[int]
		calls   int64
	}{
		{"not persisted", func(d *engine.DStream[int]) *engine.DStream[int] { return d }, 6},
		{"Persist", func(d *engine.DStream[int]) *engine.DStream[int] { return d.Persist(engine.MemoryAndDisk) }, 3},
		{"Cache", func(d *engine.DStream[int]) *engine.DStream[int] { return d.Cache() }, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := streamtest.New(t, time.Second)
			in, q := streamtest.Input[int](h)
			var calls atomic.Int64
			m := tc.persist(engine.Map(in, func(x int) int { calls.Add(1); return x * 10 }))
			a := streamtest.Collect(h, m)
			b := streamtest.Collect(h, m.Count())
			h.Start()
			pushAll(q, [][]int{{1, 2}, {3}})
			h.Advance(2)
			checkBatches(t, h, a, [][]string{{"10", "20"}, {"30"}})
			checkBatches(t, h, b, [][]string{{"2"}, {"1"}})
			if got := calls.Load(); got != tc.calls {
				t.Errorf("map function ran %d times, want %d", got, tc.calls)
			}
		})
	}
}

func TestOperatorGraphErrors(t *testing.T) {
	s := time.Second
	cases := []struct {
		name  string
		build func(in *engine.DStream[int], kv *engine.DStream[kvi])
		want  []string
	}{
		{"groupByKeyAndWindow window", func(_ *engine.DStream[int], kv *engine.DStream[kvi]) {
			discard(engine.GroupByKeyAndWindow(kv, 1500*time.Millisecond, s))
		}, []string{"groupByKeyAndWindow", "window duration 1.5s"}},
		{"groupByKeyAndWindow slide", func(_ *engine.DStream[int], kv *engine.DStream[kvi]) {
			discard(engine.GroupByKeyAndWindow(kv, 2*s, 0))
		}, []string{"groupByKeyAndWindow", "slide duration 0s"}},
		{"reduceByWindow with inverse", func(in *engine.DStream[int], _ *engine.DStream[kvi]) {
			discard(engine.ReduceByWindowInv(in, sumInts, subInts, 2*s, 1500*time.Millisecond))
		}, []string{"reduceByWindow", "slide duration 1.5s"}},
		{"persist with an unknown level", func(in *engine.DStream[int], _ *engine.DStream[kvi]) {
			discard(in.Persist("MEMORY"))
		}, []string{"persist", `unknown storage level "MEMORY"`, "MEMORY_ONLY"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := streamtest.New(t, time.Second)
			in, _ := streamtest.Input[int](h)
			tc.build(in, engine.Map(in, func(x int) kvi { return ki("k", x) }))
			err := h.Ctx.Start()
			if err == nil || !containsAll(err.Error(), tc.want...) {
				t.Fatalf("Start error %v should mention %q", err, tc.want)
			}
		})
	}
}

// TestSortByKeyInTransform: rdd.SortByKey inside Transform orders each
// batch by key (here the words of a batch by count, descending).
func TestSortByKeyInTransform(t *testing.T) {
	h := streamtest.New(t, time.Second)
	in, q := streamtest.Input[string](h)
	counts := engine.ReduceByKey(engine.Map(in, func(w string) kvi { return ki(w, 1) }), sumInts)
	byCount := engine.Map(counts, func(kv kvi) engine.Pair[int, string] { return engine.KV(kv.Value, kv.Key) })
	var got [][]int
	engine.Transform(byCount, func(r *engine.RDD[engine.Pair[int, string]], _ time.Time) (*engine.RDD[engine.Pair[int, string]], error) {
		return rdd.SortByKey(r, false, 3), nil
	}).ForeachRDD(func(ctx context.Context, _ time.Time, r *engine.RDD[engine.Pair[int, string]]) error {
		items, err := r.Collect(ctx)
		var ns []int
		for _, kv := range items {
			ns = append(ns, kv.Key)
		}
		got = append(got, ns)
		return err
	})
	h.Start()
	pushAll(q, [][]string{strings.Fields("a b a c a b d"), {}})
	h.Advance(2)
	if fmt.Sprint(got) != "[[3 2 1 1] []]" {
		t.Errorf("counts in order per batch: %v, want [[3 2 1 1] []]", got)
	}
}
