package engine_test

import (
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/streamtest"
)

type kvi = engine.Pair[string, int]

// keyedInput has repeated keys within and across batches, an empty batch and
// a batch with one key only.
var keyedInput = [][]kvi{
	{ki("a", 1), ki("b", 2), ki("a", 3), ki("c", 4), ki("a", 5)},
	{},
	{ki("b", -2), ki("b", 7), ki("d", 0)},
	{ki("z", 9)},
}

// groupInts groups a batch's values per key, in arrival order.
func groupInts(b []kvi) map[string][]int {
	g := map[string][]int{}
	for _, kv := range b {
		g[kv.Key] = append(g[kv.Key], kv.Value)
	}
	return g
}

func TestKeyedOperators(t *testing.T) {
	type avg struct{ sum, n int }
	cases := []struct {
		name  string
		build func(h *streamtest.Harness, in *engine.DStream[kvi]) collector
		want  func(b []kvi) []string
	}{
		{"reduceByKey", func(h *streamtest.Harness, in *engine.DStream[kvi]) collector {
			return collect(h, engine.ReduceByKey(in, func(a, b int) int { return a + b }))
		}, func(b []kvi) []string {
			var out []string
			for k, vs := range groupInts(b) {
				s := 0
				for _, v := range vs {
					s += v
				}
				out = append(out, fmt.Sprintf("(%s,%d)", k, s))
			}
			return out
		}},
		{"reduceByKey one partition", func(h *streamtest.Harness, in *engine.DStream[kvi]) collector {
			return collect(h, engine.ReduceByKey(in, func(a, b int) int { return max(a, b) }, 1))
		}, func(b []kvi) []string {
			var out []string
			for k, vs := range groupInts(b) {
				out = append(out, fmt.Sprintf("(%s,%d)", k, slices.Max(vs)))
			}
			return out
		}},
		{"groupByKey", func(h *streamtest.Harness, in *engine.DStream[kvi]) collector {
			// values of a key have no guaranteed order: sort them
			g := engine.GroupByKey(in, 3)
			return collect(h, engine.MapValues(g, func(vs []int) []int { vs = slices.Clone(vs); slices.Sort(vs); return vs }))
		}, func(b []kvi) []string {
			var out []string
			for k, vs := range groupInts(b) {
				slices.Sort(vs)
				out = append(out, fmt.Sprintf("(%s,%v)", k, vs))
			}
			return out
		}},
		{"combineByKey average", func(h *streamtest.Harness, in *engine.DStream[kvi]) collector {
			c := engine.CombineByKey(in, engine.Combiner[int, avg]{
				Create:         func(v int) avg { return avg{v, 1} },
				MergeValue:     func(c avg, v int) avg { return avg{c.sum + v, c.n + 1} },
				MergeCombiners: func(a, b avg) avg { return avg{a.sum + b.sum, a.n + b.n} },
			})
			return collect(h, engine.MapValues(c, func(a avg) string { return fmt.Sprintf("%d/%d", a.sum, a.n) }))
		}, func(b []kvi) []string {
			var out []string
			for k, vs := range groupInts(b) {
				s := 0
				for _, v := range vs {
					s += v
				}
				out = append(out, fmt.Sprintf("(%s,%d/%d)", k, s, len(vs)))
			}
			return out
		}},
		{"mapValues", func(h *streamtest.Harness, in *engine.DStream[kvi]) collector {
			return collect(h, engine.MapValues(in, func(v int) string { return "#" + strconv.Itoa(v) }))
		}, func(b []kvi) []string {
			var out []string
			for _, kv := range b {
				out = append(out, fmt.Sprintf("(%s,#%d)", kv.Key, kv.Value))
			}
			return out
		}},
		{"mapValues after reduceByKey", func(h *streamtest.Harness, in *engine.DStream[kvi]) collector {
			r := engine.ReduceByKey(in, func(a, b int) int { return a + b }, 2)
			return collect(h, engine.MapValues(r, func(v int) int { return v * 2 }))
		}, func(b []kvi) []string {
			var out []string
			for k, vs := range groupInts(b) {
				s := 0
				for _, v := range vs {
					s += v
				}
				out = append(out, fmt.Sprintf("(%s,%d)", k, 2*s))
			}
			return out
		}},
		{"countByValue of keys", func(h *streamtest.Harness, in *engine.DStream[kvi]) collector {
			return collect(h, engine.CountByValue(engine.Map(in, func(kv kvi) string { return kv.Key }), 5))
		}, func(b []kvi) []string {
			var out []string
			for k, vs := range groupInts(b) {
				out = append(out, fmt.Sprintf("(%s,%d)", k, len(vs)))
			}
			return out
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := streamtest.New(t, time.Second)
			in, q := streamtest.Input[kvi](h)
			got := tc.build(h, in)
			h.Start()
			pushAll(q, keyedInput)
			h.Advance(len(keyedInput))
			want := perBatch(keyedInput, tc.want)
			g := got(len(keyedInput))
			for i := range want {
				if !slices.Equal(g[i], want[i]) {
					t.Errorf("batch %d:\n got  %v\n want %v", i, g[i], want[i])
				}
			}
		})
	}
}

// TestReduceByKeyManyKeys shuffles enough distinct keys across several
// partitions that a wrong partitioner or lost bucket would show.
func TestReduceByKeyManyKeys(t *testing.T) {
	for _, parts := range []int{1, 2, 7} {
		t.Run(fmt.Sprintf("partitions=%d", parts), func(t *testing.T) {
			h := streamtest.New(t, time.Second, streamtest.WithConf("gostream.default.parallelism", "3"))
			in, q := streamtest.Input[engine.Pair[int, int]](h)
			got := collect(h, engine.ReduceByKey(in, func(a, b int) int { return a + b }, parts))
			h.Start()
			var batch []engine.Pair[int, int]
			want := map[int]int{}
			for i := range 2000 {
				k := (i * 7919) % 313
				batch = append(batch, engine.KV(k, i))
				want[k] += i
			}
			q.Push(batch...)
			h.Advance(1)
			var ws []string
			for k, v := range want {
				ws = append(ws, fmt.Sprintf("(%d,%d)", k, v))
			}
			if g := got(1)[0]; !slices.Equal(g, strs(ws...)) {
				t.Errorf("got %d keys, want %d; first got %v", len(g), len(ws), g[:min(5, len(g))])
			}
		})
	}
}

// ki and ks make the pairs of the tables above.
var (
	ki = engine.KV[string, int]
	ks = engine.KV[string, string]
)
