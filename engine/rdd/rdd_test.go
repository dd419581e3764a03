package rdd

import (
	"context"
	"fmt"
	"iter"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"weak"

	"github.com/gostream/gostream/engine/task"
)

func testEnv(slots, parallelism int) *Env {
	return &Env{Backend: NewLocalBackend(slots, task.Policy{}), Parallelism: parallelism}
}

func ints(lo, hi int) []int {
	var out []int
	for i := lo; i < hi; i++ {
		out = append(out, i)
	}
	return out
}

func mustCollect[T any](t *testing.T, r *RDD[T]) []T {
	t.Helper()
	out, err := r.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// partitionsOf returns each partition's elements.
func partitionsOf[T any](t *testing.T, r *RDD[T]) [][]T {
	t.Helper()
	parts := make([][]T, r.NumPartitions())
	err := r.ForeachPartition(context.Background(), "test", func(_ context.Context, p int, items iter.Seq[T]) error {
		parts[p] = slices.Collect(items)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return parts
}

// counted wraps r so that every computation of a partition is counted.
func counted[T any](r *RDD[T], n *atomic.Int64) *RDD[T] {
	return narrow(r, func(ctx context.Context, p int, emit func(T)) error {
		n.Add(1)
		return r.compute(ctx, p, emit)
	})
}

func TestParallelize(t *testing.T) {
	env := testEnv(2, 2)
	cases := []struct {
		items []int
		parts int
		want  [][]int
	}{
		{ints(0, 7), 3, [][]int{{0, 1}, {2, 3}, {4, 5, 6}}},
		{ints(0, 2), 4, [][]int{nil, {0}, nil, {1}}},
		{nil, 2, [][]int{nil, nil}},
		{ints(0, 3), 0, [][]int{{0, 1, 2}}}, // at least one partition
	}
	for _, tc := range cases {
		r := Parallelize(env, tc.items, tc.parts)
		got := partitionsOf(t, r)
		if !slices.EqualFunc(got, tc.want, func(a, b []int) bool { return slices.Equal(a, b) }) {
			t.Errorf("Parallelize(%v, %d) = %v, want %v", tc.items, tc.parts, got, tc.want)
		}
		if all := mustCollect(t, r); !slices.Equal(all, tc.items) && len(tc.items) > 0 {
			t.Errorf("Collect = %v, want %v in order", all, tc.items)
		}
	}
}

func TestPartitionOf(t *testing.T) {
	check := func(name string, part func(n int) int) {
		for _, n := range []int{1, 2, 3, 8, 31} {
			p := part(n)
			if p < 0 || p >= n {
				t.Errorf("%s: partition %d of %d", name, p, n)
			}
			if part(n) != p {
				t.Errorf("%s: not deterministic", name)
			}
		}
		if part(1) != 0 {
			t.Errorf("%s: one partition must be 0", name)
		}
	}
	type point struct{ X, Y int }
	check("string", func(n int) int { return PartitionOf("hello", n) })
	check("int", func(n int) int { return PartitionOf(-42, n) })
	check("int64", func(n int64) func(int) int { return func(k int) int { return PartitionOf(n, k) } }(1<<40))
	check("uint32", func(n int) int { return PartitionOf(uint32(7), n) })
	check("bool", func(n int) int { return PartitionOf(true, n) })
	check("float64", func(n int) int { return PartitionOf(2.5, n) })
	check("struct", func(n int) int { return PartitionOf(point{1, 2}, n) })
	check("empty struct", func(n int) int { return PartitionOf(struct{}{}, n) })

	// the same value gives the same partition, whatever instance holds it
	p1, p2 := point{3, 4}, point{3, 4}
	if PartitionOf(p1, 13) != PartitionOf(p2, 13) || PartitionOf(fmt.Sprint("a", "b"), 7) != PartitionOf("ab", 7) {
		t.Error("equal keys land in different partitions")
	}
	// keys spread over every partition, roughly evenly
	for _, n := range []int{2, 8} {
		counts := make([]int, n)
		for i := range 4000 {
			counts[PartitionOf(i, n)]++
			counts[PartitionOf(fmt.Sprintf("key-%d", i), n)]++
		}
		for p, c := range counts {
			if c < 8000/n/2 || c > 8000/n*2 {
				t.Errorf("%d partitions: partition %d got %d of 8000 keys (%v)", n, p, c, counts)
			}
		}
	}
}

// TestShufflePlacesKeys: after a keyed shuffle, partition p holds exactly the
// keys PartitionOf puts there, each key once, with all its values combined.
func TestShufflePlacesKeys(t *testing.T) {
	env := testEnv(3, 2)
	var pairs []Pair[string, int]
	want := map[string]int{}
	for i := range 1000 {
		k := fmt.Sprintf("k%d", i%57)
		pairs = append(pairs, KV(k, i))
		want[k] += i
	}
	for _, parts := range []int{1, 4, 9} {
		r := ReduceByKey(Parallelize(env, pairs, 5), func(a, b int) int { return a + b }, parts)
		if r.NumPartitions() != parts || r.HashedBy() != parts {
			t.Errorf("parts=%d: NumPartitions %d HashedBy %d", parts, r.NumPartitions(), r.HashedBy())
		}
		got := map[string]int{}
		for p, items := range partitionsOf(t, r) {
			for _, kv := range items {
				if q := PartitionOf(kv.Key, parts); q != p {
					t.Errorf("parts=%d: key %s in partition %d, PartitionOf says %d", parts, kv.Key, p, q)
				}
				if _, dup := got[kv.Key]; dup {
					t.Errorf("parts=%d: key %s twice", parts, kv.Key)
				}
				got[kv.Key] = kv.Value
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("parts=%d: sums differ\n got  %v\n want %v", parts, got, want)
		}
	}
	// parts < 1: the environment's parallelism
	if r := GroupByKey(Parallelize(env, pairs, 3), 0); r.NumPartitions() != env.Parallelism {
		t.Errorf("default partitions: %d", r.NumPartitions())
	}
}

// TestMapSideCombine: values are combined within each map partition before
// the shuffle, so Create runs once per key and map partition, and the reduce
// side merges at most one combiner per key and map partition.
func TestMapSideCombine(t *testing.T) {
	env := testEnv(2, 2)
	const maps, keys, perMap = 4, 3, 100
	var parts [][]Pair[int, int]
	for m := range maps {
		var p []Pair[int, int]
		for i := range perMap {
			p = append(p, KV(i%keys, m*perMap+i))
		}
		parts = append(parts, p)
	}
	var creates, mergeValues, mergeCombiners atomic.Int64
	r := CombineByKey(FromPartitions(env, parts), Combiner[int, int]{
		Create:         func(v int) int { creates.Add(1); return v },
		MergeValue:     func(c, v int) int { mergeValues.Add(1); return c + v },
		MergeCombiners: func(a, b int) int { mergeCombiners.Add(1); return a + b },
	}, 2)
	got := mustCollect(t, r)
	mustCollect(t, r) // a second action reuses the shuffle output and the merged result
	if c := creates.Load(); c != maps*keys {
		t.Errorf("Create ran %d times, want %d (once per key per map partition)", c, maps*keys)
	}
	if c := mergeValues.Load(); c != maps*(perMap-keys) {
		t.Errorf("MergeValue ran %d times, want %d", c, maps*(perMap-keys))
	}
	if c := mergeCombiners.Load(); c != (maps-1)*keys {
		t.Errorf("MergeCombiners ran %d times, want %d (maps-1 per key)", c, (maps-1)*keys)
	}
	want := map[int]int{}
	for _, p := range parts {
		for _, kv := range p {
			want[kv.Key] += kv.Value
		}
	}
	gotMap := map[int]int{}
	for _, kv := range got {
		gotMap[kv.Key] = kv.Value
	}
	if fmt.Sprint(gotMap) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", gotMap, want)
	}
}

// TestShuffleStageRunsOnce: the map side of a shuffle runs once, however
// many actions (even concurrent ones) read the result.
func TestShuffleStageRunsOnce(t *testing.T) {
	env := testEnv(4, 3)
	var computed atomic.Int64
	src := counted(Parallelize(env, ints(0, 100), 5), &computed)
	keyed := Map(src, func(x int) Pair[int, int] { return KV(x%10, x) })
	grouped := GroupByKey(keyed, 3)
	sums := MapValues(grouped, func(vs []int) int {
		s := 0
		for _, v := range vs {
			s += v
		}
		return s
	})
	var wg sync.WaitGroup
	results := make([][]Pair[int, int], 4)
	for i := range results {
		wg.Go(func() {
			out, err := sums.Collect(context.Background())
			if err != nil {
				t.Error(err)
			}
			slices.SortFunc(out, func(a, b Pair[int, int]) int { return a.Key - b.Key })
			results[i] = out
		})
	}
	wg.Wait()
	if n := computed.Load(); n != 5 {
		t.Errorf("the 5 source partitions were computed %d times, want 5", n)
	}
	for i := 1; i < len(results); i++ {
		if !slices.Equal(results[i], results[0]) {
			t.Errorf("concurrent actions disagree: %v vs %v", results[i], results[0])
		}
	}
	if len(results[0]) != 10 || results[0][3] != KV(3, 3+13+23+33+43+53+63+73+83+93) {
		t.Errorf("sums %v", results[0])
	}
	if len(sums.pendingStages()) != 0 {
		t.Error("a shuffle that ran still reports pending stages")
	}
}

func TestCache(t *testing.T) {
	env := testEnv(2, 2)
	var computed atomic.Int64
	src := counted(Parallelize(env, ints(0, 10), 3), &computed)
	c := src.Cache()
	for range 3 {
		if got := mustCollect(t, c); !slices.Equal(got, ints(0, 10)) {
			t.Errorf("cached elements %v", got)
		}
	}
	if n := computed.Load(); n != 3 {
		t.Errorf("3 partitions computed %d times through the cache, want 3", n)
	}
	// children of a cached RDD read the cache
	if got := mustCollect(t, Map(c, func(x int) int { return -x })); len(got) != 10 || computed.Load() != 3 {
		t.Errorf("child of the cache recomputed the source: %d computations", computed.Load())
	}
}

// TestCacheDropsLineage: once every partition is cached the source RDD (and
// everything behind it) can be freed; while a partition is missing it must
// stay reachable.
func TestCacheDropsLineage(t *testing.T) {
	env := testEnv(2, 2)
	src := Map(Parallelize(env, ints(0, 6), 2), func(x int) int { return x * 2 })
	ws := weak.Make(src)
	c := src.Cache()
	src = nil

	// compute partition 0 only
	if err := RunStages(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if err := c.Compute(context.Background(), 0, func(int) {}); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	if ws.Value() == nil {
		t.Fatal("the source was freed while partition 1 was not cached yet")
	}
	if got := mustCollect(t, c); !slices.Equal(got, []int{0, 2, 4, 6, 8, 10}) {
		t.Errorf("cached %v", got)
	}
	runtime.GC()
	if ws.Value() != nil {
		t.Error("the source is still reachable after every partition was cached")
	}
	if got := mustCollect(t, c); !slices.Equal(got, []int{0, 2, 4, 6, 8, 10}) {
		t.Errorf("after dropping the lineage: %v", got)
	}
}

// TestCachedChainFreesAncestors: a chain of RDDs each built from the cached
// previous one (a state stream) does not keep every ancestor alive.
func TestCachedChainFreesAncestors(t *testing.T) {
	env := testEnv(2, 2)
	prev := Parallelize(env, []Pair[int, int]{KV(1, 1), KV(2, 1)}, 2).Cache()
	first := weak.Make(prev)
	for range 20 {
		next := ReduceByKey(Union(env, prev, Parallelize(env, []Pair[int, int]{KV(1, 1)}, 1)), func(a, b int) int { return a + b }, 2).Cache()
		mustCollect(t, next)
		prev = next
	}
	runtime.GC()
	if first.Value() != nil {
		t.Error("the first RDD of the chain is still reachable from the last")
	}
	got := mustCollect(t, prev)
	slices.SortFunc(got, func(a, b Pair[int, int]) int { return a.Key - b.Key })
	if !slices.Equal(got, []Pair[int, int]{KV(1, 21), KV(2, 1)}) {
		t.Errorf("chain result %v", got)
	}
}

func TestTake(t *testing.T) {
	env := testEnv(2, 2)
	var computed atomic.Int64
	r := counted(FromPartitions(env, [][]int{{1, 2}, {}, {3, 4, 5}, {6}}), &computed)
	cases := []struct {
		n         int
		want      []int
		computing int64 // partitions computed: no more than needed
	}{
		{0, nil, 0},
		{1, []int{1}, 1},
		{2, []int{1, 2}, 1},
		{3, []int{1, 2, 3}, 3},
		{5, []int{1, 2, 3, 4, 5}, 3},
		{100, []int{1, 2, 3, 4, 5, 6}, 4},
	}
	for _, tc := range cases {
		computed.Store(0)
		got, err := r.Take(context.Background(), tc.n)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("Take(%d) = %v, want %v", tc.n, got, tc.want)
		}
		if c := computed.Load(); c != tc.computing {
			t.Errorf("Take(%d) computed %d partitions, want %d", tc.n, c, tc.computing)
		}
	}
	// after a shuffle, Take runs the stage first
	s := ReduceByKey(Parallelize(env, []Pair[int, int]{KV(1, 1), KV(1, 2)}, 2), func(a, b int) int { return a + b }, 3)
	if got, err := s.Take(context.Background(), 5); err != nil || !slices.Equal(got, []Pair[int, int]{KV(1, 3)}) {
		t.Errorf("Take after shuffle = %v, %v", got, err)
	}
}

func TestUnion(t *testing.T) {
	env := testEnv(2, 2)
	a := FromPartitions(env, [][]int{{1}, {2, 3}})
	b := Map(ReduceByKey(Parallelize(env, []Pair[int, int]{KV(9, 1), KV(9, 1)}, 2), func(x, y int) int { return x + y }, 1),
		func(kv Pair[int, int]) int { return kv.Key * kv.Value })
	c := Empty[int](env)
	u := Union(env, a, b, c, a)
	if u.NumPartitions() != 2+1+0+2 {
		t.Errorf("union of 2+1+0+2 partitions has %d", u.NumPartitions())
	}
	if got := partitionsOf(t, u); fmt.Sprint(got) != "[[1] [2 3] [18] [1] [2 3]]" {
		t.Errorf("union partitions %v", got)
	}
	if got := mustCollect(t, Union[int](env)); len(got) != 0 {
		t.Errorf("union of nothing: %v", got)
	}
	if Union(env, a).HashedBy() != 0 {
		t.Error("a union is not hash-partitioned")
	}
}

func TestRepartition(t *testing.T) {
	env := testEnv(2, 3)
	for _, tc := range []struct{ in, from, to int }{{100, 1, 4}, {100, 7, 2}, {3, 1, 5}, {50, 4, 0}} {
		r := Repartition(Parallelize(env, ints(0, tc.in), tc.from), tc.to)
		want := tc.to
		if want < 1 {
			want = env.Parallelism
		}
		if r.NumPartitions() != want {
			t.Errorf("%+v: %d partitions", tc, r.NumPartitions())
		}
		var all []int
		for p, items := range partitionsOf(t, r) {
			if tc.in >= 10*want && (len(items) < tc.in/want/2 || len(items) > tc.in/want*2) {
				t.Errorf("%+v: partition %d holds %d elements", tc, p, len(items))
			}
			all = append(all, items...)
		}
		slices.Sort(all)
		if !slices.Equal(all, ints(0, tc.in)) {
			t.Errorf("%+v: elements %v", tc, all)
		}
	}
	// three one-element map partitions into three partitions: spread, not piled up
	r := Repartition(Parallelize(env, []int{1, 2, 3}, 3), 3)
	for p, items := range partitionsOf(t, r) {
		if len(items) != 1 {
			t.Errorf("partition %d holds %v", p, items)
		}
	}
}

// TestCoGroupSkipsShuffleOfPartitionedSide: a side already hash-partitioned
// into the target partitions is read in place; only the other side shuffles.
func TestCoGroupSkipsShuffleOfPartitionedSide(t *testing.T) {
	env := testEnv(2, 2)
	left := ReduceByKey(Parallelize(env, []Pair[string, int]{KV("a", 1), KV("b", 2), KV("a", 3)}, 2),
		func(a, b int) int { return a + b }, 4)
	right := Parallelize(env, []Pair[string, string]{KV("a", "x"), KV("c", "y")}, 3)
	mustCollect(t, left) // left's own shuffle has run

	same := CoGroup(left, right, 4)
	if n := len(same.pendingStages()); n != 1 {
		t.Errorf("cogroup into left's partitioning: %d pending shuffle stages, want 1 (right only)", n)
	}
	other := CoGroup(left, right, 3)
	if n := len(other.pendingStages()); n != 2 {
		t.Errorf("cogroup into 3 partitions: %d pending shuffle stages, want 2", n)
	}
	placed := Parallelize(env, []Pair[string, string]{}, 4).AssumeHashedBy(4)
	if n := len(CoGroup(left, placed, 4).pendingStages()); n != 0 {
		t.Errorf("both sides partitioned: %d pending stages, want 0", n)
	}
	for _, r := range []*RDD[Pair[string, CoGrouped[int, string]]]{same, other} {
		got := map[string]string{}
		for _, kv := range mustCollect(t, r) {
			got[kv.Key] = fmt.Sprint(kv.Value)
		}
		want := map[string]string{"a": "([4],[x])", "b": "([2],[])", "c": "([],[y])"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("cogroup %v, want %v", got, want)
		}
		if r.HashedBy() != r.NumPartitions() {
			t.Errorf("cogroup output is hash-partitioned by %d", r.HashedBy())
		}
	}
}

func TestJoins(t *testing.T) {
	env := testEnv(2, 2)
	a := Parallelize(env, []Pair[string, int]{KV("a", 1), KV("a", 2), KV("b", 3)}, 2)
	b := Parallelize(env, []Pair[string, string]{KV("a", "x"), KV("c", "z")}, 2)
	sorted := func(xs []string) []string { slices.Sort(xs); return xs }
	str := func(items any) []string {
		var out []string
		switch v := items.(type) {
		case []Pair[string, Joined[int, string]]:
			for _, x := range v {
				out = append(out, x.String())
			}
		case []Pair[string, Joined[int, Opt[string]]]:
			for _, x := range v {
				out = append(out, x.String())
			}
		case []Pair[string, Joined[Opt[int], string]]:
			for _, x := range v {
				out = append(out, x.String())
			}
		case []Pair[string, Joined[Opt[int], Opt[string]]]:
			for _, x := range v {
				out = append(out, x.String())
			}
		}
		return sorted(out)
	}
	cases := []struct {
		name string
		got  []string
		want []string
	}{
		{"join", str(mustCollect(t, Join(a, b, 3))), []string{"(a,(1,x))", "(a,(2,x))"}},
		{"left", str(mustCollect(t, LeftOuterJoin(a, b, 3))), []string{"(a,(1,Some(x)))", "(a,(2,Some(x)))", "(b,(3,None))"}},
		{"right", str(mustCollect(t, RightOuterJoin(a, b, 3))), []string{"(a,(Some(1),x))", "(a,(Some(2),x))", "(c,(None,z))"}},
		{"full", str(mustCollect(t, FullOuterJoin(a, b, 0))), []string{"(a,(Some(1),Some(x)))", "(a,(Some(2),Some(x)))", "(b,(Some(3),None))", "(c,(None,Some(z)))"}},
	}
	for _, tc := range cases {
		if !slices.Equal(tc.got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestPartitioningPreserved(t *testing.T) {
	env := testEnv(2, 2)
	r := ReduceByKey(Parallelize(env, []Pair[int, int]{KV(1, 1)}, 1), func(a, b int) int { return a + b }, 5)
	cases := []struct {
		name string
		got  int
		want int
	}{
		{"reduceByKey", r.HashedBy(), 5},
		{"filter keeps it", Filter(r, func(Pair[int, int]) bool { return true }).HashedBy(), 5},
		{"mapValues keeps it", MapValues(r, func(v int) string { return "" }).HashedBy(), 5},
		{"cache keeps it", r.Cache().HashedBy(), 5},
		{"map drops it (keys may change)", Map(r, func(kv Pair[int, int]) Pair[int, int] { return kv }).HashedBy(), 0},
		{"repartition drops it", Repartition(r, 5).HashedBy(), 0},
		{"parallelize has none", Parallelize(env, []int{1}, 2).HashedBy(), 0},
	}
	for _, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("%s: HashedBy %d, want %d", tc.name, tc.got, tc.want)
		}
	}
}

func TestCountAndReduceAll(t *testing.T) {
	env := testEnv(2, 2)
	empty := Parallelize(env, []int(nil), 3)
	full := Parallelize(env, ints(1, 11), 3)
	if got := mustCollect(t, CountAll(empty)); !slices.Equal(got, []int64{0}) {
		t.Errorf("CountAll(empty) = %v, want [0]", got)
	}
	if got := mustCollect(t, CountAll(full)); !slices.Equal(got, []int64{10}) {
		t.Errorf("CountAll = %v", got)
	}
	if got := mustCollect(t, ReduceAll(empty, func(a, b int) int { return a + b })); len(got) != 0 {
		t.Errorf("ReduceAll(empty) = %v, want nothing", got)
	}
	if got := mustCollect(t, ReduceAll(full, func(a, b int) int { return a + b })); !slices.Equal(got, []int{55}) {
		t.Errorf("ReduceAll = %v", got)
	}
	if n, err := full.Count(context.Background()); err != nil || n != 10 {
		t.Errorf("Count = %d, %v", n, err)
	}
	cv := map[string]int64{}
	for _, kv := range mustCollect(t, CountByValue(Parallelize(env, []string{"a", "b", "a"}, 2), 2)) {
		cv[kv.Key] = kv.Value
	}
	if cv["a"] != 2 || cv["b"] != 1 || len(cv) != 2 {
		t.Errorf("CountByValue = %v", cv)
	}
}

func TestNarrowOps(t *testing.T) {
	env := testEnv(2, 2)
	r := Parallelize(env, ints(0, 10), 3)
	if got := mustCollect(t, Filter(Map(r, func(x int) int { return x * x }), func(x int) bool { return x%2 == 0 })); !slices.Equal(got, []int{0, 4, 16, 36, 64}) {
		t.Errorf("map+filter = %v", got)
	}
	fm := FlatMap(r, func(x int) iter.Seq[int] { return slices.Values(slices.Repeat([]int{x}, x%3)) })
	if got := mustCollect(t, fm); !slices.Equal(got, []int{1, 2, 2, 4, 5, 5, 7, 8, 8}) {
		t.Errorf("flatMap = %v", got)
	}
	mp := MapPartitions(r, func(p int, items iter.Seq[int]) iter.Seq[string] {
		return func(yield func(string) bool) {
			n := 0
			for range items {
				n++
			}
			yield(fmt.Sprintf("p%d:%d", p, n))
		}
	})
	if got := mustCollect(t, mp); !slices.Equal(got, []string{"p0:3", "p1:3", "p2:4"}) {
		t.Errorf("mapPartitions = %v", got)
	}
	// a MapPartitions function that stops reading early
	first := MapPartitions(r, func(_ int, items iter.Seq[int]) iter.Seq[int] {
		return func(yield func(int) bool) {
			for x := range items {
				yield(x)
				return
			}
		}
	})
	if got := mustCollect(t, first); !slices.Equal(got, []int{0, 3, 6}) {
		t.Errorf("first of each partition = %v", got)
	}
}

// TestZipRunsDependencyStages: an RDD built with Zip runs the shuffle stages
// of its dependencies before computing.
func TestZipRunsDependencyStages(t *testing.T) {
	env := testEnv(2, 2)
	dep := ReduceByKey(Parallelize(env, []Pair[int, int]{KV(1, 1), KV(1, 1), KV(2, 5)}, 2), func(a, b int) int { return a + b }, 2)
	z := Zip(env, 2, func(ctx context.Context, p int, emit func(int)) error {
		return dep.Compute(ctx, p, func(kv Pair[int, int]) { emit(kv.Value) })
	}, dep)
	got := mustCollect(t, z)
	slices.Sort(got)
	if !slices.Equal(got, []int{2, 5}) {
		t.Errorf("zip over a shuffle = %v", got)
	}
}

// TestEqualKeysShareAPartition: keys that are == in Go are one key for
// every keyed operator, so they must hash alike (0.0 and -0.0 are ==).
func TestEqualKeysShareAPartition(t *testing.T) {
	env := testEnv(2, 2)
	negZero := math.Copysign(0, -1)
	for _, parts := range []int{2, 3, 8, 16} {
		if PartitionOf(0.0, parts) != PartitionOf(negZero, parts) {
			t.Errorf("%d partitions: 0.0 and -0.0 land in different partitions", parts)
		}
		if PartitionOf(float32(0), parts) != PartitionOf(float32(negZero), parts) {
			t.Errorf("%d partitions: float32 0 and -0 land in different partitions", parts)
		}
		r := ReduceByKey(Parallelize(env, []Pair[float64, int]{KV(0.0, 1), KV(negZero, 1)}, 2),
			func(a, b int) int { return a + b }, parts)
		if got := mustCollect(t, r); len(got) != 1 || got[0].Value != 2 {
			t.Errorf("%d partitions: reduceByKey over 0.0 and -0.0 = %v, want one key with 2", parts, got)
		}
	}
}
