package engine_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/streamtest"
)

// windowTimes lists, in batch units, the batch numbers (1-based: batch k
// is at zero + k × batch) a window of w batches sliding every s batches
// holds at batch k, and whether the window stream has an RDD at k at all.
// Spark: windows end at multiples of the slide after the zero time and hold
// the batches in (k-w, k]; the first windows hold only the batches since
// the start.
func windowTimes(k, w, s int) ([]int, bool) {
	if k%s != 0 {
		return nil, false
	}
	var in []int
	for j := max(1, k-w+1); j <= k; j++ {
		in = append(in, j)
	}
	return in, true
}

func TestWindowEdges(t *testing.T) {
	const batches = 13
	cases := []struct{ w, s int }{
		{1, 1}, {3, 1}, {2, 2}, {3, 2}, {4, 2}, {3, 3}, {6, 3}, {5, 5}, {2, 4},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("window=%ds/slide=%ds", tc.w, tc.s), func(t *testing.T) {
			h := streamtest.New(t, time.Second)
			in, q := streamtest.Input[int](h)
			win := in.Window(time.Duration(tc.w)*time.Second, time.Duration(tc.s)*time.Second)
			if win.SlideDuration() != time.Duration(tc.s)*time.Second {
				t.Errorf("SlideDuration = %s", win.SlideDuration())
			}
			out := streamtest.Collect(h, win)
			h.Start()
			// batch k (1-based) holds the labels 100k and 100k+1
			for k := 1; k <= batches; k++ {
				q.Push(100*k, 100*k+1)
			}
			h.Advance(batches)
			want := make([][]string, batches)
			for k := 1; k <= batches; k++ {
				ks, ok := windowTimes(k, tc.w, tc.s)
				if !ok {
					continue
				}
				want[k-1] = []string{}
				for _, j := range ks {
					want[k-1] = append(want[k-1], strconv.Itoa(100*j), strconv.Itoa(100*j+1))
				}
				slices.Sort(want[k-1])
			}
			checkBatches(t, h, out, want)
		})
	}
}

// TestWindowOfWindow stacks windows: the outer window's slide is a multiple
// of the inner one's.
func TestWindowOfWindow(t *testing.T) {
	h := streamtest.New(t, time.Second)
	in, q := streamtest.Input[int](h)
	inner := in.Window(2*time.Second, 2*time.Second)    // tumbling pairs
	outer := inner.Window(4*time.Second, 4*time.Second) // two pairs
	out := streamtest.Collect(h, outer.Count())
	h.Start()
	for k := 1; k <= 8; k++ {
		q.Push(make([]int, k)...) // batch k holds k elements
	}
	h.Advance(8)
	checkBatches(t, h, out, [][]string{nil, nil, nil, {"10"}, nil, nil, nil, {"26"}})
}

// randomBatches makes n batches of keyed values: keys from a small
// alphabet so that keys come and go, some batches empty.
func randomBatches(rng *rand.Rand, n int, keys string, lo, hi int) [][]kvi {
	out := make([][]kvi, n)
	for i := range out {
		if rng.IntN(5) == 0 {
			continue // an empty batch
		}
		for range rng.IntN(12) {
			k := string(keys[rng.IntN(len(keys))])
			out[i] = append(out[i], engine.KV(k, lo+rng.IntN(hi-lo+1)))
		}
	}
	return out
}

// windowSums is the non-incremental answer: per key with values in the
// window ending at batch k (1-based), the sum of those values.
func windowSums(in [][]kvi, k, w int) map[string]int {
	sums := map[string]int{}
	for j := max(1, k-w+1); j <= k; j++ {
		for _, kv := range in[j-1] {
			sums[kv.Key] += kv.Value
		}
	}
	return sums
}

func pairStrings(m map[string]int) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("(%s,%d)", k, v))
	}
	slices.Sort(out)
	return out
}

func TestReduceByKeyAndWindow(t *testing.T) {
	const n = 20
	in := randomBatches(rand.New(rand.NewPCG(1, 2)), n, "abcdef", -3, 5)
	for _, tc := range []struct{ w, s int }{{3, 1}, {4, 2}, {2, 2}} {
		t.Run(fmt.Sprintf("window=%ds/slide=%ds", tc.w, tc.s), func(t *testing.T) {
			h := streamtest.New(t, time.Second)
			src, q := streamtest.Input[kvi](h)
			out := streamtest.Collect(h, engine.ReduceByKeyAndWindow(src, func(a, b int) int { return a + b },
				time.Duration(tc.w)*time.Second, time.Duration(tc.s)*time.Second, 3))
			h.Start()
			pushAll(q, in)
			h.Advance(n)
			want := make([][]string, n)
			for k := 1; k <= n; k++ {
				if k%tc.s == 0 {
					sums := windowSums(in, k, tc.w)
					want[k-1] = pairStrings(sums)
					if want[k-1] == nil {
						want[k-1] = []string{}
					}
				}
			}
			checkBatches(t, h, out, want)
		})
	}
}

// TestReduceByKeyAndWindowInvMatchesRecompute checks the incremental
// operator against the sums recomputed over each window, over many random
// batches. Without a filter a key stays in the state once seen: keys with
// no value in the window must read 0.
func TestReduceByKeyAndWindowInvMatchesRecompute(t *testing.T) {
	const n = 60
	for _, tc := range []struct {
		w, s  int
		parts int
		seed  uint64
	}{{3, 1, 2, 1}, {4, 2, 3, 2}, {6, 3, 1, 3}, {2, 2, 4, 4}, {5, 1, 2, 5}} {
		t.Run(fmt.Sprintf("window=%ds/slide=%ds/parts=%d", tc.w, tc.s, tc.parts), func(t *testing.T) {
			in := randomBatches(rand.New(rand.NewPCG(tc.seed, 99)), n, "abcdefghij", -4, 6)
			h := streamtest.New(t, time.Second)
			src, q := streamtest.Input[kvi](h)
			inc := engine.ReduceByKeyAndWindowInv(src, func(a, b int) int { return a + b }, func(a, b int) int { return a - b },
				time.Duration(tc.w)*time.Second, time.Duration(tc.s)*time.Second, nil, tc.parts)
			out := streamtest.Collect(h, inc)
			h.Start()
			pushAll(q, in)
			h.Advance(n)
			seen := map[string]bool{}
			for k := 1; k <= n; k++ {
				got, ok := out.Batch(k - 1)
				if k%tc.s != 0 {
					for _, kv := range in[k-1] {
						seen[kv.Key] = true
					}
					if ok {
						t.Errorf("batch %d: output off the slide: %v", k-1, got)
					}
					continue
				}
				for _, kv := range in[k-1] {
					seen[kv.Key] = true
				}
				if !ok {
					t.Errorf("batch %d: no RDD at a slide time", k-1)
					continue
				}
				sums := windowSums(in, k, tc.w)
				want := map[string]int{}
				for key := range seen {
					want[key] = sums[key] // 0 for keys seen before but not in the window
				}
				gotMap := map[string]int{}
				for _, kv := range got {
					if _, dup := gotMap[kv.Key]; dup {
						t.Errorf("batch %d: key %s appears twice", k-1, kv.Key)
					}
					gotMap[kv.Key] = kv.Value
				}
				if g, w := pairStrings(gotMap), pairStrings(want); !slices.Equal(g, w) {
					t.Fatalf("batch %d (window ending at %ds):\n got  %v\n want %v", k-1, k, g, w)
				}
			}
		})
	}
}

// TestReduceByKeyAndWindowInvFilter: with a filter, keys whose value falls
// back to zero leave the state; without one they stay, reading 0.
func TestReduceByKeyAndWindowInvFilter(t *testing.T) {
	in := [][]kvi{
		{ki("a", 1), ki("b", 2)},
		{ki("a", 1)},
		{},
		{},
		{ki("b", 1)},
		{},
		{},
	}
	nonZero := func(kv kvi) bool { return kv.Value != 0 }
	cases := []struct {
		name string
		keep func(kvi) bool
		want [][]string
	}{
		{"with filter", nonZero, [][]string{
			{"(a,1)", "(b,2)"},
			{"(a,2)", "(b,2)"},
			{"(a,1)"}, // batch 0 left the 2-batch window
			{},        // a fell to 0 and was dropped
			{"(b,1)"},
			{"(b,1)"},
			{},
		}},
		{"without filter", nil, [][]string{
			{"(a,1)", "(b,2)"},
			{"(a,2)", "(b,2)"},
			{"(a,1)", "(b,0)"},
			{"(a,0)", "(b,0)"},
			{"(a,0)", "(b,1)"},
			{"(a,0)", "(b,1)"},
			{"(a,0)", "(b,0)"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := streamtest.New(t, time.Second)
			src, q := streamtest.Input[kvi](h)
			out := streamtest.Collect(h, engine.ReduceByKeyAndWindowInv(src, func(a, b int) int { return a + b },
				func(a, b int) int { return a - b }, 2*time.Second, time.Second, tc.keep))
			h.Start()
			pushAll(q, in)
			h.Advance(len(in))
			checkBatches(t, h, out, tc.want)
		})
	}
}

func TestWindowedCounts(t *testing.T) {
	const n = 30
	rng := rand.New(rand.NewPCG(7, 7))
	in := make([][]string, n)
	for i := range in {
		if i >= 20 && i < 26 {
			continue // a quiet stretch longer than the window
		}
		for range rng.IntN(6) {
			in[i] = append(in[i], string("xyz"[rng.IntN(3)]))
		}
	}
	inWindow := func(k, w int) []string {
		var all []string
		for j := max(1, k-w+1); j <= k; j++ {
			all = append(all, in[j-1]...)
		}
		return all
	}
	seenBy := func(k int) bool {
		for j := 1; j <= k; j++ {
			if len(in[j-1]) > 0 {
				return true
			}
		}
		return false
	}
	cases := []struct {
		name  string
		w, s  int
		build func(h *streamtest.Harness, d *engine.DStream[string], w, s time.Duration) collector
		want  func(k, w int) []string // k: 1-based batch at a slide time
	}{
		{"countByWindow", 3, 1, func(h *streamtest.Harness, d *engine.DStream[string], w, s time.Duration) collector {
			return collect(h, d.CountByWindow(w, s))
		}, func(k, w int) []string {
			// Spark: map to (key, 1) then an incremental reduce: nothing
			// until the first element, then the count (0 included)
			if !seenBy(k) {
				return []string{}
			}
			return []string{strconv.Itoa(len(inWindow(k, w)))}
		}},
		{"countByWindow sliding 2", 4, 2, func(h *streamtest.Harness, d *engine.DStream[string], w, s time.Duration) collector {
			return collect(h, d.CountByWindow(w, s))
		}, func(k, w int) []string {
			if !seenBy(k) {
				return []string{}
			}
			return []string{strconv.Itoa(len(inWindow(k, w)))}
		}},
		{"reduceByWindow", 3, 1, func(h *streamtest.Harness, d *engine.DStream[string], w, s time.Duration) collector {
			lens := engine.Map(d, func(s string) int { return int(s[0]) })
			return collect(h, lens.ReduceByWindow(func(a, b int) int { return a + b }, w, s))
		}, func(k, w int) []string {
			all := inWindow(k, w)
			if len(all) == 0 {
				return []string{} // reduce of nothing is nothing
			}
			s := 0
			for _, x := range all {
				s += int(x[0])
			}
			return []string{strconv.Itoa(s)}
		}},
		{"reduceByWindow sliding 3", 6, 3, func(h *streamtest.Harness, d *engine.DStream[string], w, s time.Duration) collector {
			return collect(h, d.ReduceByWindow(func(a, b string) string { return max(a, b) }, w, s))
		}, func(k, w int) []string {
			all := inWindow(k, w)
			if len(all) == 0 {
				return []string{}
			}
			return []string{slices.Max(all)}
		}},
		{"countByValueAndWindow", 4, 1, func(h *streamtest.Harness, d *engine.DStream[string], w, s time.Duration) collector {
			return collect(h, engine.CountByValueAndWindow(d, w, s))
		}, func(k, w int) []string {
			counts := map[string]int{}
			for _, x := range inWindow(k, w) {
				counts[x]++
			}
			if len(counts) == 0 {
				return []string{} // zero counts leave the state
			}
			return pairStrings(counts)
		}},
		{"countByValueAndWindow sliding 2 in 3 partitions", 6, 2, func(h *streamtest.Harness, d *engine.DStream[string], w, s time.Duration) collector {
			return collect(h, engine.CountByValueAndWindow(d, w, s, 3))
		}, func(k, w int) []string {
			counts := map[string]int{}
			for _, x := range inWindow(k, w) {
				counts[x]++
			}
			if len(counts) == 0 {
				return []string{}
			}
			return pairStrings(counts)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := streamtest.New(t, time.Second)
			src, q := streamtest.Input[string](h)
			got := tc.build(h, src, time.Duration(tc.w)*time.Second, time.Duration(tc.s)*time.Second)
			h.Start()
			pushAll(q, in)
			h.Advance(n)
			g := got(n)
			for k := 1; k <= n; k++ {
				if k%tc.s != 0 {
					if g[k-1] != nil {
						t.Errorf("batch %d: output off the slide: %v", k-1, g[k-1])
					}
					continue
				}
				want := strs(tc.want(k, tc.w)...)
				if !slices.Equal(g[k-1], want) {
					t.Errorf("batch %d (window ending at %ds):\n got  %v\n want %v", k-1, k, g[k-1], want)
				}
			}
		})
	}
}
