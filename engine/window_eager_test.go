package engine_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/streamtest"
)

// TestWindowInputComputedInItsBatch: the batches a window slower than the
// batch reads are computed in their own batch, not all at the window's
// slide, so that a slide batch takes no longer than the others. The window's
// results are those of TestWindowEdges and TestReduceByKeyAndWindowInv*.
func TestWindowInputComputedInItsBatch(t *testing.T) {
	cases := map[string]func(*engine.DStream[engine.Pair[int, int]]) *engine.DStream[engine.Pair[int, int]]{
		"window": func(d *engine.DStream[engine.Pair[int, int]]) *engine.DStream[engine.Pair[int, int]] {
			return d.Window(6*time.Second, 3*time.Second)
		},
		"reduceByKeyAndWindow": func(d *engine.DStream[engine.Pair[int, int]]) *engine.DStream[engine.Pair[int, int]] {
			return engine.ReduceByKeyAndWindow(d, sumInts, 6*time.Second, 3*time.Second)
		},
		"reduceByKeyAndWindowInv": func(d *engine.DStream[engine.Pair[int, int]]) *engine.DStream[engine.Pair[int, int]] {
			return engine.ReduceByKeyAndWindowInv(d, sumInts, subInts, 6*time.Second, 3*time.Second, nil)
		},
	}
	for name, window := range cases {
		t.Run(name, func(t *testing.T) {
			h := streamtest.New(t, time.Second)
			in, q := streamtest.Input[int](h)
			var computed atomic.Int64
			pairs := engine.Map(in, func(x int) engine.Pair[int, int] {
				computed.Add(1)
				return engine.KV(x, 1)
			})
			out := streamtest.Collect(h, window(pairs))
			h.Start()
			for k := 1; k <= 6; k++ {
				q.Push(k, k+100)
				h.Advance(1)
				if got, want := computed.Load(), int64(2*k); got != want {
					t.Fatalf("after batch %d: %d records computed, want %d: the window's input waits for its slide", k, got, want)
				}
				if _, ok := out.Batch(k - 1); ok != (k%3 == 0) {
					t.Fatalf("batch %d: window has an RDD = %t, want %t", k, ok, k%3 == 0)
				}
			}
			last, _ := out.Batch(5)
			if len(last) != 12 {
				t.Errorf("last window: %v, want the 12 keys of batches 1-6", last)
			}
		})
	}
}
