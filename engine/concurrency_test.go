package engine_test

import (
	"context"
	"fmt"
	"iter"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/streamtest"
)

// TestConcurrentJobsPipeline runs a pipeline mixing every kind of operator
// with several jobs at once (gostream.streaming.concurrentJobs) and more
// task slots, and checks every batch against plain Go. Run it with -race.
func TestConcurrentJobsPipeline(t *testing.T) {
	const n = 30
	rng := rand.New(rand.NewPCG(11, 13))
	in := randomBatches(rng, n, "abcdefgh", 1, 9)
	h := streamtest.New(t, time.Second,
		streamtest.WithConf("gostream.master", "local[4]"),
		streamtest.WithConf("gostream.default.parallelism", "3"),
		streamtest.WithConf("gostream.streaming.concurrentJobs", "4"))
	src, q := streamtest.Input[kvi](h)
	sum := func(a, b int) int { return a + b }

	running := streamtest.Collect(h, engine.UpdateStateByKey(src, func(vs []int, st engine.Opt[int]) engine.Opt[int] {
		s := st.Value
		for _, v := range vs {
			s += v
		}
		return engine.Some(s)
	}))
	windowed := streamtest.Collect(h, engine.ReduceByKeyAndWindowInv(src, sum, subInts, 4*time.Second, 2*time.Second,
		func(kv kvi) bool { return kv.Value != 0 }))
	recomputed := streamtest.Collect(h, engine.ReduceByKeyAndWindow(src, sum, 4*time.Second, 2*time.Second))
	perBatchSum := engine.ReduceByKey(src, sum)
	joined := streamtest.Collect(h, engine.Join(perBatchSum, engine.MapValues(perBatchSum, func(v int) int { return -v })))
	ms := engine.MapWithState(src, engine.StateSpec[string, int, int, int]{
		Func: func(_ time.Time, _ string, v engine.Opt[int], st *engine.State[int]) int {
			st.Update(st.Get() + v.Value)
			return st.Get()
		},
	})
	snaps := streamtest.Collect(h, ms.StateSnapshots())
	var mu sync.Mutex
	partitionCalls := map[int64]int{}
	src.Repartition(5).ForeachPartition(func(_ context.Context, bt time.Time, _ int, items iter.Seq[kvi]) error {
		for range items {
		}
		mu.Lock()
		partitionCalls[bt.UnixMilli()]++
		mu.Unlock()
		return nil
	})
	h.Start()
	pushAll(q, in)
	h.Advance(n)

	totals := map[string]int{}
	for k := 1; k <= n; k++ {
		i := k - 1
		batchSums := map[string]int{}
		for _, kv := range in[i] {
			totals[kv.Key] += kv.Value
			batchSums[kv.Key] += kv.Value
		}
		want := pairStrings(totals)
		if want == nil {
			want = []string{}
		}
		if got, _ := running.Batch(i); !slices.Equal(canon(got), want) {
			t.Errorf("batch %d updateStateByKey: %v, want %v", i, canon(got), want)
		}
		if got, _ := snaps.Batch(i); !slices.Equal(canon(got), want) {
			t.Errorf("batch %d state snapshots: %v, want %v", i, canon(got), want)
		}
		var wantJoin []string
		for key, s := range batchSums {
			wantJoin = append(wantJoin, fmt.Sprintf("(%s,(%d,%d))", key, s, -s))
		}
		if got, _ := joined.Batch(i); !slices.Equal(canon(got), strs(wantJoin...)) {
			t.Errorf("batch %d join: %v, want %v", i, canon(got), strs(wantJoin...))
		}
		if k%2 == 0 {
			w := pairStrings(windowSums(in, k, 4))
			if w == nil {
				w = []string{}
			}
			if got, _ := windowed.Batch(i); !slices.Equal(canon(got), w) {
				t.Errorf("batch %d incremental window: %v, want %v", i, canon(got), w)
			}
			if got, _ := recomputed.Batch(i); !slices.Equal(canon(got), w) {
				t.Errorf("batch %d window: %v, want %v", i, canon(got), w)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for i := range n {
		if c := partitionCalls[h.BatchTime(i).UnixMilli()]; c != 5 {
			t.Errorf("batch %d: %d partition calls, want 5", i, c)
		}
	}
}

// TestConcurrentReceivers runs several receivers storing from many
// goroutines at once; every record arrives exactly once.
func TestConcurrentReceivers(t *testing.T) {
	h := streamtest.New(t, time.Second, streamtest.WithConf("gostream.master", "local[3]"),
		streamtest.WithConf("gostream.streaming.blockInterval", "100ms"))
	const receivers, writers, perWriter = 3, 4, 250
	var stored sync.WaitGroup
	stored.Add(receivers)
	var streams []*engine.DStream[int]
	for r := range receivers {
		rcv := engine.ReceiverFunc[int](func(ctx context.Context, out engine.Sink[int]) error {
			var wg sync.WaitGroup
			for w := range writers {
				wg.Go(func() {
					for i := range perWriter {
						x := (r*writers+w)*perWriter + i
						if i%50 == 0 {
							if err := out.StoreBlock(ctx, []int{x}); err != nil {
								t.Error(err)
							}
							continue
						}
						out.Store(x)
					}
				})
			}
			wg.Wait()
			stored.Done()
			<-ctx.Done()
			return nil
		})
		streams = append(streams, engine.ReceiverStream[int](h.Ctx, fmt.Sprint("r", r), rcv))
	}
	all := streams[0].Union(streams[1:]...)
	out := streamtest.Collect(h, all)
	h.Start()
	stored.Wait()
	const total = receivers * writers * perWriter
	var got []int
	batches := 0
	eventually(t, "every record", func() bool {
		h.Advance(1)
		b, _ := out.Batch(batches)
		batches++
		got = append(got, b...)
		return len(got) >= total
	})
	h.Advance(1)
	if b, _ := out.Batch(batches); len(b) != 0 {
		got = append(got, b...)
	}
	slices.Sort(got)
	for i, x := range got {
		if x != i {
			t.Fatalf("records: got %d records, first mismatch at %d (%d); want 0..%d once each", len(got), i, x, total-1)
		}
	}
	if len(got) != total {
		t.Fatalf("got %d records, want %d", len(got), total)
	}
}
