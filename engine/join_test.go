package engine_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/streamtest"
)

type kvs = engine.Pair[string, string]

// Both sides per batch: shared keys with several values on each side,
// one-sided keys, and batches where one side or both are empty.
var (
	joinLeft = [][]kvi{
		{ki("a", 1), ki("a", 2), ki("b", 3), ki("c", 4)},
		{ki("x", 1)},
		{},
		{},
		{ki("k", 1), ki("k", 2)},
	}
	joinRight = [][]kvs{
		{ks("a", "A"), ks("b", "B1"), ks("b", "B2"), ks("d", "D")},
		{},
		{ks("y", "Y")},
		{},
		{ks("k", "K1"), ks("k", "K2"), ks("k", "K3")},
	}
)

func optStr[T any](v T, ok bool) string {
	if !ok {
		return "None"
	}
	return fmt.Sprintf("Some(%v)", v)
}

// expectJoin computes every join flavour of one batch in plain Go.
func expectJoin(left []kvi, right []kvs, keepLeft, keepRight bool, optional bool) []string {
	lg := map[string][]int{}
	for _, kv := range left {
		lg[kv.Key] = append(lg[kv.Key], kv.Value)
	}
	rg := map[string][]string{}
	for _, kv := range right {
		rg[kv.Key] = append(rg[kv.Key], kv.Value)
	}
	keys := map[string]bool{}
	for k := range lg {
		keys[k] = true
	}
	for k := range rg {
		keys[k] = true
	}
	var out []string
	for k := range keys {
		ls, rs := lg[k], rg[k]
		switch {
		case len(ls) > 0 && len(rs) > 0:
			for _, l := range ls {
				for _, r := range rs {
					if optional {
						out = append(out, fmt.Sprintf("(%s,(%s,%s))", k, lfmt(l, keepRight), rfmt(r, keepLeft)))
					} else {
						out = append(out, fmt.Sprintf("(%s,(%d,%s))", k, l, r))
					}
				}
			}
		case len(ls) > 0 && keepLeft:
			for _, l := range ls {
				out = append(out, fmt.Sprintf("(%s,(%s,None))", k, lfmt(l, keepRight)))
			}
		case len(rs) > 0 && keepRight:
			for _, r := range rs {
				out = append(out, fmt.Sprintf("(%s,(None,%s))", k, rfmt(r, keepLeft)))
			}
		}
	}
	return out
}

// lfmt/rfmt format a side's value as a plain value or an Opt, depending on
// whether that side may be missing in this join flavour.
func lfmt(v int, optional bool) string {
	if optional {
		return optStr(v, true)
	}
	return fmt.Sprint(v)
}

func rfmt(v string, optional bool) string {
	if optional {
		return optStr(v, true)
	}
	return v
}

func TestJoins(t *testing.T) {
	cases := []struct {
		name  string
		build func(h *streamtest.Harness, a *engine.DStream[kvi], b *engine.DStream[kvs]) collector
		want  func(l []kvi, r []kvs) []string
	}{
		{"join", func(h *streamtest.Harness, a *engine.DStream[kvi], b *engine.DStream[kvs]) collector {
			return collect(h, engine.Join(a, b))
		}, func(l []kvi, r []kvs) []string { return expectJoin(l, r, false, false, false) }},
		{"join into 5 partitions", func(h *streamtest.Harness, a *engine.DStream[kvi], b *engine.DStream[kvs]) collector {
			return collect(h, engine.Join(a, b, 5))
		}, func(l []kvi, r []kvs) []string { return expectJoin(l, r, false, false, false) }},
		{"leftOuterJoin", func(h *streamtest.Harness, a *engine.DStream[kvi], b *engine.DStream[kvs]) collector {
			// left value plain, right value optional
			return collect(h, engine.LeftOuterJoin(a, b))
		}, func(l []kvi, r []kvs) []string { return expectJoin(l, r, true, false, true) }},
		{"rightOuterJoin", func(h *streamtest.Harness, a *engine.DStream[kvi], b *engine.DStream[kvs]) collector {
			return collect(h, engine.RightOuterJoin(a, b))
		}, func(l []kvi, r []kvs) []string { return expectJoin(l, r, false, true, true) }},
		{"fullOuterJoin", func(h *streamtest.Harness, a *engine.DStream[kvi], b *engine.DStream[kvs]) collector {
			return collect(h, engine.FullOuterJoin(a, b))
		}, func(l []kvi, r []kvs) []string { return expectJoin(l, r, true, true, true) }},
		{"cogroup", func(h *streamtest.Harness, a *engine.DStream[kvi], b *engine.DStream[kvs]) collector {
			cg := engine.CoGroup(a, b)
			return collect(h, engine.Map(cg, func(kv engine.Pair[string, engine.CoGrouped[int, string]]) string {
				l, r := slices.Clone(kv.Value.Left), slices.Clone(kv.Value.Right)
				slices.Sort(l)
				slices.Sort(r)
				return fmt.Sprintf("%s:%v|%v", kv.Key, l, r)
			}))
		}, func(l []kvi, r []kvs) []string {
			lg, rg := map[string][]int{}, map[string][]string{}
			for _, kv := range l {
				lg[kv.Key] = append(lg[kv.Key], kv.Value)
			}
			for _, kv := range r {
				rg[kv.Key] = append(rg[kv.Key], kv.Value)
			}
			var out []string
			for k := range lg {
				rs := rg[k]
				slices.Sort(rs)
				ls := lg[k]
				slices.Sort(ls)
				out = append(out, fmt.Sprintf("%s:%v|%v", k, ls, rs))
			}
			for k, rs := range rg {
				if _, ok := lg[k]; !ok {
					slices.Sort(rs)
					out = append(out, fmt.Sprintf("%s:%v|%v", k, []int(nil), rs))
				}
			}
			return out
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := streamtest.New(t, time.Second)
			a, qa := streamtest.Input[kvi](h)
			b, qb := streamtest.Input[kvs](h)
			got := tc.build(h, a, b)
			h.Start()
			pushAll(qa, joinLeft)
			pushAll(qb, joinRight)
			h.Advance(len(joinLeft))
			g := got(len(joinLeft))
			for i := range joinLeft {
				want := strs(tc.want(joinLeft[i], joinRight[i])...)
				if !slices.Equal(g[i], want) {
					t.Errorf("batch %d:\n got  %v\n want %v", i, g[i], want)
				}
			}
		})
	}
}

// TestJoinOptFormatting pins the textual form used by the expectations above
// (Opt prints as Some(v)/None, Joined as (l,r)), so a failure there means a
// semantic difference rather than a formatting one.
func TestJoinOptFormatting(t *testing.T) {
	j := engine.KV("k", engine.Joined[engine.Opt[int], engine.Opt[string]]{Left: engine.Some(1)})
	if got := fmt.Sprint(j); got != "(k,(Some(1),None))" {
		t.Fatalf("got %q", got)
	}
}

// TestSelfJoin joins a stream with a transformation of itself: both sides
// see the same batch of the shared parent.
func TestSelfJoin(t *testing.T) {
	h := streamtest.New(t, time.Second)
	in, q := streamtest.Input[string](h)
	words := engine.Map(in, func(s string) kvi { return engine.KV(s, len(s)) })
	upper := engine.MapValues(words, func(n int) string { return strings.Repeat("*", n) })
	got := collect(h, engine.Join(words, upper))
	h.Start()
	q.Push("ab", "c", "ab")
	h.Advance(1)
	want := strs("(ab,(2,**))", "(ab,(2,**))", "(ab,(2,**))", "(ab,(2,**))", "(c,(1,*))")
	if g := got(1)[0]; !slices.Equal(g, want) {
		t.Errorf("got %v, want %v", g, want)
	}
}
