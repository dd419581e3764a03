package engine_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/streamtest"
)

func TestSmokeWordCount(t *testing.T) {
	h := streamtest.New(t, time.Second)
	in, q := streamtest.Input[string](h)
	words := engine.FlatMap(in, strings.FieldsSeq)
	counts := engine.ReduceByKey(engine.Map(words, func(w string) engine.Pair[string, int] { return engine.KV(w, 1) }),
		func(a, b int) int { return a + b })
	out := streamtest.Collect(h, counts)
	h.Start()
	q.Push("a b a", "c a")
	q.Push()
	q.Push("b")
	h.Advance(3)
	got := out.Batches()
	sortPairs := func(ps []engine.Pair[string, int]) []engine.Pair[string, int] {
		slices.SortFunc(ps, func(a, b engine.Pair[string, int]) int { return strings.Compare(a.Key, b.Key) })
		return ps
	}
	want := [][]engine.Pair[string, int]{{engine.KV("a", 3), engine.KV("b", 1), engine.KV("c", 1)}, nil, {engine.KV("b", 1)}}
	for i := range want {
		if !slices.Equal(sortPairs(got[i]), want[i]) {
			t.Errorf("batch %d: got %v want %v", i, got[i], want[i])
		}
	}
}
