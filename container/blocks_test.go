package container

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/cluster"
)

// A task over a block is offered first to the executor holding it, even
// when another is less loaded; while the holder's core is busy it waits
// there for the locality wait, then runs on another; a holder that is gone
// is not waited for.
func TestLocalityPreferenceAndFallback(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ep, err := Listen(EndpointOptions{Addr: "127.0.0.1:0", Secret: "s", Timeout: 2 * time.Second, Logger: quiet, LocalityWait: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	f := newFakeTasks()
	for _, id := range []string{"1", "2"} {
		startExecutorWith(t, ep, ExecutorConfig{ID: id, Cores: 1, Logger: quiet, Tasks: f.on(id)})
	}
	waitExecutors(t, ep, 2)
	run := func(s testSpec, prefer string) <-chan taskResult {
		spec, _ := json.Marshal(s)
		res := make(chan taskResult, 1)
		go func() {
			out, err := ep.RunTask(t.Context(), cluster.Task{Name: "3@1000/0", Spec: spec, Prefer: prefer}, echoInputs{})
			res <- taskResult{out, err}
		}()
		return res
	}
	result := func(res <-chan taskResult) taskResult {
		t.Helper()
		select {
		case r := <-res:
			return r
		case <-time.After(5 * time.Second):
			t.Fatal("the task did not end")
			return taskResult{}
		}
	}

	// Preference: both idle, the holder "2" is not the one ties pick.
	if r := result(run(testSpec{Batch: 1000, Input: "a"}, "2")); r.err != nil || r.out.Executor != "2" {
		t.Fatalf("a task preferring executor 2 ran on %q (%v)", r.out.Executor, r.err)
	}
	<-f.started

	// Fallback: the holder's one core is busy past the wait.
	busy := run(testSpec{Batch: 1000, Input: "b", Block: true}, "2")
	if id := <-f.started; id != "2" {
		t.Fatalf("the blocking task started on %s, want 2", id)
	}
	start := time.Now()
	r := result(run(testSpec{Batch: 1000, Input: "c"}, "2"))
	if r.err != nil || r.out.Executor != "1" {
		t.Fatalf("with the holder busy, the task ran on %q (%v), want 1 after the locality wait", r.out.Executor, r.err)
	}
	if waited := time.Since(start); waited < 300*time.Millisecond {
		t.Errorf("the task went elsewhere after %s, before the locality wait", waited)
	}
	<-f.started
	f.release <- struct{}{}
	if r := result(busy); r.err != nil {
		t.Fatal(r.err)
	}

	// A holder that is not registered: no wait.
	if r := result(run(testSpec{Batch: 1000, Input: "d"}, "9")); r.err != nil || r.out.Executor == "" {
		t.Fatalf("a task preferring an unknown executor: %+v", r)
	}
	<-f.started
}

// numbers is a reliable source of records "0", "1", … up to limit, in
// blocks of 10 with their offsets; acked counts what was acknowledged.
type numbers struct {
	limit int
	acked *atomic.Int64
}

func (n numbers) Receive(ctx context.Context, out engine.Sink[string]) error {
	sink := out.(engine.OffsetSink[string])
	next := 0
	if off, ok := sink.RecoveredOffset(); ok {
		next, _ = strconv.Atoi(off)
	}
	for ; next < n.limit; next += 10 {
		block := make([]string, 10)
		for i := range block {
			block[i] = strconv.Itoa(next + i)
		}
		if err := sink.StoreBlockWithOffset(ctx, block, strconv.Itoa(next+10)); err != nil {
			return err
		}
		n.acked.Add(10)
	}
	<-ctx.Done()
	return nil
}

// holderLost runs a receiver on executor 1 (whose blocks stay there) and
// tasks on executors 1 and 2, stops executor 1 once 50 records are
// acknowledged, then runs the first batch: its records read on the driver
// (collect) and by map tasks (a count by key on the executors). It returns
// the records the batch saw in each way, and the error that stopped the
// context, if it stopped.
func holderLost(t *testing.T, wal bool) (collected, counted int, err error) {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	c := conf.Defaults()
	for k, v := range map[string]string{conf.Master: "local[1]", conf.CheckpointDirectory: t.TempDir(),
		conf.ReceiverWALEnable: strconv.FormatBool(wal), conf.ReceiverRestartDelay: "10ms", conf.NetworkTimeout: "2s"} {
		if err := c.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	var acked atomic.Int64
	var mu sync.Mutex
	setup := func(ssc *engine.Context) error {
		in := engine.ReceiverStream(ssc, "numbers", numbers{limit: 50, acked: &acked})
		in.ForeachRDD(func(ctx context.Context, _ time.Time, r *engine.RDD[string]) error {
			items, err := r.Collect(ctx)
			mu.Lock()
			collected += len(items)
			mu.Unlock()
			return err
		})
		byKey := engine.ReduceByKey(engine.Map(in, func(s string) engine.Pair[int, int] {
			n, _ := strconv.Atoi(s)
			return engine.KV(n%3, 1)
		}), func(a, b int) int { return a + b }, 2)
		byKey.ForeachRDD(func(ctx context.Context, _ time.Time, r *engine.RDD[engine.Pair[int, int]]) error {
			items, err := r.Collect(ctx)
			mu.Lock()
			for _, kv := range items {
				counted += kv.Value
			}
			mu.Unlock()
			return err
		})
		return nil
	}
	ep, err := Listen(EndpointOptions{Addr: "127.0.0.1:0", Secret: "s", Timeout: 2 * time.Second, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	x := engine.NewExecutor(c, time.Second, setup, engine.WithLogger(quiet))
	stop1, exited1 := startExecutorWith(t, ep, ExecutorConfig{ID: "1", Cores: 1, Logger: quiet, ServeReceiver: x.ServeReceiver, Tasks: x.TaskRunner})
	waitExecutors(t, ep, 1)
	startExecutorWith(t, ep, ExecutorConfig{ID: "2", Cores: 1, Logger: quiet, Tasks: x.TaskRunner})
	waitExecutors(t, ep, 2)

	clock := engine.NewManualClock(time.UnixMilli(1_000_000_000_000))
	ssc, err := engine.NewContext(c, time.Second, engine.WithClock(clock), engine.WithLogger(quiet),
		engine.WithReceiverHost(ep), engine.WithTaskHost(ep))
	if err != nil {
		t.Fatal(err)
	}
	if err := setup(ssc); err != nil {
		t.Fatal(err)
	}
	if err := ssc.Start(); err != nil {
		t.Fatal(err)
	}
	defer ssc.Stop(false)
	deadline := time.Now().Add(10 * time.Second)
	for acked.Load() < 50 {
		if time.Now().After(deadline) {
			t.Fatalf("%d records acknowledged", acked.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if p := ep.Receivers(); len(p) != 1 || p[0].Executor != "1" {
		t.Fatalf("receiver placements %+v, want executor 1", p)
	}
	stop1()
	<-exited1
	for !ep.ExecutorLost("1") {
		if time.Now().After(deadline) {
			t.Fatal("executor 1 not declared lost")
		}
		time.Sleep(5 * time.Millisecond)
	}
	clock.Set(time.UnixMilli(1_000_000_001_000))
	for {
		mu.Lock()
		done := collected > 0 && counted > 0
		mu.Unlock()
		if done {
			break
		}
		actx, cancel := context.WithTimeout(t.Context(), 5*time.Millisecond)
		err = ssc.AwaitTermination(actx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			break // the context stopped: the batch failed
		}
		err = nil
		if time.Now().After(deadline) {
			t.Fatal("the batch did not complete")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	return collected, counted, err
}

// With the write-ahead log on, the blocks of an executor that is gone are
// read from the segments it wrote, on the driver and on the executors.
func TestBlocksReadFromWALWhenHolderIsGone(t *testing.T) {
	collected, counted, err := holderLost(t, true)
	if err != nil || collected != 50 || counted != 50 {
		t.Fatalf("collected %d, counted %d records, err %v: want all 50 both ways", collected, counted, err)
	}
}

// With the log off, they are lost: the batch fails with a LostBlocksError
// naming them, not a short batch.
func TestLostBlocksFailTheBatchWithoutWAL(t *testing.T) {
	collected, counted, err := holderLost(t, false)
	var lost *engine.LostBlocksError
	if !errors.As(err, &lost) || lost.Records != 50 || lost.Blocks != 5 || lost.Executor != "1" {
		t.Fatalf("collected %d, counted %d, err %v: want a LostBlocksError of 5 blocks, 50 records on executor 1", collected, counted, err)
	}
}
