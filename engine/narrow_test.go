package engine_test

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/rdd"
	"github.com/gostream/gostream/engine/streamtest"
)

// collector registers an output on ds and returns a function giving the
// first n batches in canonical form (nil where the stream had no RDD).
type collector func(n int) [][]string

func collect[T any](h *streamtest.Harness, ds *engine.DStream[T]) collector {
	o := streamtest.Collect(h, ds)
	return func(n int) [][]string { return canonBatches(collected(h, o, n)) }
}

// perBatch builds the expected output batch by batch in plain Go.
func perBatch[T any](in [][]T, f func(batch []T) []string) [][]string {
	out := make([][]string, len(in))
	for i, b := range in {
		out[i] = strs(f(b)...)
	}
	return out
}

func intStrings(xs []int) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = strconv.Itoa(x)
	}
	return out
}

// narrowInput has an empty batch, a batch with duplicates and negatives, and
// a batch larger than the partition count.
var narrowInput = [][]int{
	{1, 2, 3},
	{},
	{5, 5, -4, 0, 7, 7, 7, 10, 11, 12, 13},
	{42},
}

func TestNarrowOperators(t *testing.T) {
	cases := []struct {
		name  string
		build func(h *streamtest.Harness, in *engine.DStream[int]) collector
		want  func(b []int) []string
	}{
		{"map", func(h *streamtest.Harness, in *engine.DStream[int]) collector {
			return collect(h, engine.Map(in, func(x int) string { return "v" + strconv.Itoa(x*10) }))
		}, func(b []int) []string {
			var out []string
			for _, x := range b {
				out = append(out, "v"+strconv.Itoa(x*10))
			}
			return out
		}},
		{"flatMap", func(h *streamtest.Harness, in *engine.DStream[int]) collector {
			// x copies of x (none for x <= 0)
			return collect(h, engine.FlatMap(in, func(x int) iter.Seq[int] {
				return func(yield func(int) bool) {
					for range x {
						if !yield(x) {
							return
						}
					}
				}
			}))
		}, func(b []int) []string {
			var out []int
			for _, x := range b {
				for range x {
					out = append(out, x)
				}
			}
			return intStrings(out)
		}},
		{"flatMap early stop", func(h *streamtest.Harness, in *engine.DStream[int]) collector {
			// consumers may stop early; the engine must not call yield again
			return collect(h, engine.FlatMap(in, func(x int) iter.Seq[int] { return slices.Values([]int{x, -x}) }))
		}, func(b []int) []string {
			var out []int
			for _, x := range b {
				out = append(out, x, -x)
			}
			return intStrings(out)
		}},
		{"filter", func(h *streamtest.Harness, in *engine.DStream[int]) collector {
			return collect(h, in.Filter(func(x int) bool { return x%2 != 0 }))
		}, func(b []int) []string {
			var out []int
			for _, x := range b {
				if x%2 != 0 {
					out = append(out, x)
				}
			}
			return intStrings(out)
		}},
		{"mapPartitions sums", func(h *streamtest.Harness, in *engine.DStream[int]) collector {
			// one sum per non-empty partition; the sums add up to the batch's
			sums := engine.MapPartitions(in, func(p int, items iter.Seq[int]) iter.Seq[int] {
				return func(yield func(int) bool) {
					s, n := 0, 0
					for x := range items {
						s += x
						n++
					}
					if n > 0 {
						yield(s)
					}
				}
			})
			return collect(h, sums.Reduce(func(a, b int) int { return a + b }))
		}, func(b []int) []string {
			if len(b) == 0 {
				return nil
			}
			s := 0
			for _, x := range b {
				s += x
			}
			return []string{strconv.Itoa(s)}
		}},
		{"count", func(h *streamtest.Harness, in *engine.DStream[int]) collector {
			return collect(h, in.Count())
		}, func(b []int) []string { return []string{strconv.Itoa(len(b))} }},
		{"count after filter removing everything", func(h *streamtest.Harness, in *engine.DStream[int]) collector {
			return collect(h, in.Filter(func(int) bool { return false }).Count())
		}, func(b []int) []string { return []string{"0"} }},
		{"reduce", func(h *streamtest.Harness, in *engine.DStream[int]) collector {
			return collect(h, in.Reduce(func(a, b int) int { return a + b }))
		}, func(b []int) []string {
			if len(b) == 0 {
				return nil // Spark: reduce of an empty batch has no element
			}
			s := 0
			for _, x := range b {
				s += x
			}
			return []string{strconv.Itoa(s)}
		}},
		{"reduce max", func(h *streamtest.Harness, in *engine.DStream[int]) collector {
			return collect(h, in.Reduce(func(a, b int) int { return max(a, b) }))
		}, func(b []int) []string {
			if len(b) == 0 {
				return nil
			}
			return []string{strconv.Itoa(slices.Max(b))}
		}},
		{"countByValue", func(h *streamtest.Harness, in *engine.DStream[int]) collector {
			return collect(h, engine.CountByValue(in))
		}, func(b []int) []string {
			counts := map[int]int64{}
			for _, x := range b {
				counts[x]++
			}
			var out []string
			for k, c := range counts {
				out = append(out, fmt.Sprintf("(%d,%d)", k, c))
			}
			return out
		}},
		{"repartition keeps elements", func(h *streamtest.Harness, in *engine.DStream[int]) collector {
			return collect(h, in.Repartition(5))
		}, intStrings},
		{"transform", func(h *streamtest.Harness, in *engine.DStream[int]) collector {
			// an RDD-level operation the DStream API lacks: distinct via reduceByKey
			return collect(h, engine.Transform(in, func(r *engine.RDD[int], _ time.Time) (*engine.RDD[int], error) {
				keyed := rdd.Map(r, func(x int) engine.Pair[int, struct{}] { return engine.KV(x, struct{}{}) })
				reduced := rdd.ReduceByKey(keyed, func(a, _ struct{}) struct{} { return a }, 3)
				return rdd.Map(reduced, func(kv engine.Pair[int, struct{}]) int { return kv.Key }), nil
			}))
		}, func(b []int) []string {
			u := slices.Clone(b)
			slices.Sort(u)
			return intStrings(slices.Compact(u))
		}},
		{"chain of narrow ops", func(h *streamtest.Harness, in *engine.DStream[int]) collector {
			m := engine.Map(in.Filter(func(x int) bool { return x > 0 }), func(x int) int { return x * x })
			return collect(h, engine.FlatMap(m, func(x int) iter.Seq[string] {
				return slices.Values([]string{"a" + strconv.Itoa(x), "b" + strconv.Itoa(x)})
			}))
		}, func(b []int) []string {
			var out []string
			for _, x := range b {
				if x > 0 {
					out = append(out, "a"+strconv.Itoa(x*x), "b"+strconv.Itoa(x*x))
				}
			}
			return out
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := streamtest.New(t, time.Second)
			in, q := streamtest.Input[int](h)
			got := tc.build(h, in)
			h.Start()
			pushAll(q, narrowInput)
			h.Advance(len(narrowInput))
			want := perBatch(narrowInput, tc.want)
			gotBatches := got(len(narrowInput))
			for i := range want {
				if want[i] == nil {
					want[i] = []string{}
				}
				if gotBatches[i] == nil {
					t.Errorf("batch %d: no RDD", i)
					continue
				}
				if !slices.Equal(gotBatches[i], want[i]) {
					t.Errorf("batch %d:\n got  %v\n want %v", i, gotBatches[i], want[i])
				}
			}
		})
	}
}

// TestPartitionCounts checks the number of partitions operators produce.
func TestPartitionCounts(t *testing.T) {
	cases := []struct {
		name  string
		build func(in *engine.DStream[int]) *engine.DStream[int]
		want  int
	}{
		{"queue stream uses the default parallelism", func(in *engine.DStream[int]) *engine.DStream[int] { return in }, 2},
		{"repartition up", func(in *engine.DStream[int]) *engine.DStream[int] { return in.Repartition(7) }, 7},
		{"repartition down", func(in *engine.DStream[int]) *engine.DStream[int] { return in.Repartition(1) }, 1},
		{"union adds partitions", func(in *engine.DStream[int]) *engine.DStream[int] { return in.Union(in.Repartition(3)) }, 5},
		{"reduceByKey with numPartitions", func(in *engine.DStream[int]) *engine.DStream[int] {
			kv := engine.Map(in, func(x int) engine.Pair[int, int] { return engine.KV(x, 1) })
			return engine.Map(engine.ReduceByKey(kv, func(a, b int) int { return a + b }, 4), func(p engine.Pair[int, int]) int { return p.Key })
		}, 4},
		{"count is one partition", func(in *engine.DStream[int]) *engine.DStream[int] {
			return engine.Map(in.Count(), func(n int64) int { return int(n) })
		}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := streamtest.New(t, time.Second)
			in, q := streamtest.Input[int](h)
			var parts []int // written by the job, read after the batch completed
			tc.build(in).ForeachRDD(func(_ context.Context, _ time.Time, r *engine.RDD[int]) error {
				parts = append(parts, r.NumPartitions())
				return nil
			})
			h.Start()
			q.Push(1, 2, 3, 4, 5, 6)
			h.Advance(1)
			if len(parts) != 1 || parts[0] != tc.want {
				t.Fatalf("partitions: got %v, want [%d]", parts, tc.want)
			}
		})
	}
}

func TestRepartitionSpreadsElements(t *testing.T) {
	h := streamtest.New(t, time.Second)
	in, q := streamtest.Input[int](h)
	sizes := make(chan []int, 1)
	in.Repartition(4).ForeachRDD(func(ctx context.Context, _ time.Time, r *engine.RDD[int]) error {
		n := make([]int, r.NumPartitions())
		err := r.ForeachPartition(ctx, "sizes", func(_ context.Context, p int, items iter.Seq[int]) error {
			for range items {
				n[p]++
			}
			return nil
		})
		sizes <- n
		return err
	})
	h.Start()
	var batch []int
	for i := range 400 {
		batch = append(batch, i)
	}
	q.Push(batch...)
	h.Advance(1)
	got := <-sizes
	total := 0
	for p, n := range got {
		total += n
		// round-robin: every partition gets about a quarter
		if n < 80 || n > 120 {
			t.Errorf("partition %d holds %d of 400 elements; want about 100 (sizes %v)", p, n, got)
		}
	}
	if total != 400 {
		t.Errorf("repartition kept %d of 400 elements", total)
	}
}

func TestUnion(t *testing.T) {
	h := streamtest.New(t, time.Second)
	a, qa := streamtest.Input[string](h)
	b, qb := streamtest.Input[string](h)
	c, qc := streamtest.Input[string](h)
	two := collect(h, a.Union(b))
	three := collect(h, a.Union(b, c))
	self := collect(h, a.Union(a))
	h.Start()
	qa.Push("a1", "a2")
	qb.Push("b1")
	qc.Push("c1")
	qa.Push()
	qb.Push("b2", "b2")
	qc.Push()
	qa.Push()
	qb.Push()
	qc.Push()
	h.Advance(3)
	check := func(name string, got [][]string, want [][]string) {
		t.Helper()
		for i := range want {
			if !slices.Equal(got[i], want[i]) {
				t.Errorf("%s batch %d: got %v, want %v", name, i, got[i], want[i])
			}
		}
	}
	check("a∪b", two(3), [][]string{strs("a1", "a2", "b1"), strs("b2", "b2"), {}})
	check("a∪b∪c", three(3), [][]string{strs("a1", "a2", "b1", "c1"), strs("b2", "b2"), {}})
	check("a∪a", self(3), [][]string{strs("a1", "a1", "a2", "a2"), {}, {}})
}

func TestTransformGetsBatchTimeAndErrorFailsBatch(t *testing.T) {
	h := streamtest.New(t, time.Second)
	in, q := streamtest.Input[int](h)
	var times []time.Time
	out := engine.Transform(in, func(r *engine.RDD[int], bt time.Time) (*engine.RDD[string], error) {
		times = append(times, bt) // runs on the driver's generating goroutine, once per batch
		if len(times) == 3 {
			return nil, fmt.Errorf("transform refused batch %d", bt.UnixMilli())
		}
		return rdd.Map(r, func(x int) string { return fmt.Sprint(bt.UnixMilli(), ":", x) }), nil
	})
	got := collect(h, out)
	h.Start()
	q.Push(1)
	q.Push(2)
	q.Push(3)
	h.Advance(2)
	want := [][]string{
		{fmt.Sprint(h.BatchTime(0).UnixMilli(), ":1")},
		{fmt.Sprint(h.BatchTime(1).UnixMilli(), ":2")},
	}
	for i, w := range want {
		if g := got(2)[i]; !slices.Equal(g, w) {
			t.Errorf("batch %d: got %v, want %v", i, g, w)
		}
	}
	err := h.TryAdvance(1)
	if err == nil || !containsAll(err.Error(), "transform refused batch", "transform") {
		t.Fatalf("a failing transform must fail the batch with its error; got %v", err)
	}
}

func TestNamedOperatorAppearsInErrors(t *testing.T) {
	h := streamtest.New(t, time.Second)
	in, q := streamtest.Input[int](h)
	failing := engine.Transform(in, func(*engine.RDD[int], time.Time) (*engine.RDD[int], error) {
		return nil, fmt.Errorf("no luck")
	}).Named("enrich")
	failing.ForeachRDD(func(context.Context, time.Time, *engine.RDD[int]) error { return nil })
	h.Start()
	q.Push(1)
	err := h.TryAdvance(1)
	if err == nil || !containsAll(err.Error(), `"enrich"`, "no luck") {
		t.Fatalf("error should name the operator %q: %v", "enrich", err)
	}
}

// TestQueueStreamAllAtOnce: with oneAtATime false, a batch takes every push
// made since the previous batch.
func TestQueueStreamAllAtOnce(t *testing.T) {
	h := streamtest.New(t, time.Second)
	q := engine.NewQueue[int]()
	out := streamtest.Collect(h, engine.QueueStream(h.Ctx, q, false))
	h.Start()
	q.Push(1)
	q.Push(2, 3)
	q.Push()
	h.Advance(1)
	h.Advance(1)
	q.Push(4)
	h.Advance(1)
	checkBatches(t, h, out, [][]string{{"1", "2", "3"}, {}, {"4"}})
}

// TestQueueStreamOneAtATime: each batch takes one push; pushes made ahead
// wait for their batch, and a batch with no push left is empty.
func TestQueueStreamOneAtATime(t *testing.T) {
	h := streamtest.New(t, time.Second)
	in, q := streamtest.Input[int](h)
	out := streamtest.Collect(h, in)
	h.Start()
	q.Push(1)
	q.Push(2, 3)
	h.Advance(3)
	checkBatches(t, h, out, [][]string{{"1"}, {"2", "3"}, {}})
}
