package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/streamtest"
	"github.com/gostream/gostream/hdfsstore"
)

// TestGracefulStopTimeout: a batch that does not finish cannot hold a
// graceful stop longer than gostream.streaming.gracefulStopTimeout; the stop
// then cancels it.
func TestGracefulStopTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	h := streamtest.New(t, time.Second, streamtest.WithConf(conf.GracefulStopTimeout, timeout.String()))
	in, q := streamtest.Input[int](h)
	running := make(chan struct{})
	in.ForeachRDD(func(ctx context.Context, _ time.Time, _ *engine.RDD[int]) error {
		close(running)
		<-ctx.Done() // stuck until the stop gives up on it
		return ctx.Err()
	})
	h.Start()
	q.Push(1)
	h.Clock.Set(h.BatchTime(0))
	select {
	case <-running:
	case <-time.After(30 * time.Second):
		t.Fatal("the batch did not start")
	}
	start := time.Now()
	stopped := make(chan struct{})
	go func() { h.Ctx.Stop(true); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatal("graceful stop did not give up on the stuck batch")
	}
	// A lower bound only: the stop must have waited for the timeout first.
	if d := time.Since(start); d < timeout {
		t.Errorf("graceful stop returned after %s, before its %s timeout", d, timeout)
	}
}

// TestGracefulStopWritesFinalCheckpoint: after Stop(true) the newest
// checkpoint has every generated batch completed, so a restart re-runs
// nothing from before the stop and continues the state.
func TestGracefulStopWritesFinalCheckpoint(t *testing.T) {
	dir := t.TempDir()
	pushes := [][]string{{"a", "b"}, {"a"}, {"c", "a"}, {"b"}, {"a"}}
	first := newStatefulApp(pushes)
	r1, err := newRig(t, dir, rigStart, first.setup, nil)
	must(t, err)
	must(t, r1.ssc.Start())
	for i := 1; i <= 3; i++ {
		r1.advance(i)
	}
	r1.ssc.Stop(true)

	ck, _, err := hdfsstore.ReadLatestCheckpoint(context.Background(), hdfsstore.NewLocal(), filepath.ToSlash(dir))
	must(t, err)
	bt, payload := ck.BatchTime, ck.Payload
	var d struct {
		LastGeneratedMs, LastCompletedMs int64
		PendingMs                        []int64
	}
	must(t, json.Unmarshal(payload, &d))
	if !bt.Equal(rigBatch(3)) || d.LastCompletedMs != rigBatch(3).UnixMilli() || len(d.PendingMs) != 0 {
		t.Fatalf("final checkpoint %d: lastCompleted %d, pending %v; want batch %d completed, nothing pending",
			bt.UnixMilli(), d.LastCompletedMs, d.PendingMs, rigBatch(3).UnixMilli())
	}

	second := newStatefulApp(pushes)
	r2, err := newRig(t, dir, rigBatch(3).Add(500*time.Millisecond), second.setup, nil)
	must(t, err)
	must(t, r2.ssc.Start())
	r2.advance(4)
	second.mu.Lock()
	defer second.mu.Unlock()
	for ms, n := range second.runs {
		if ms <= rigBatch(3).UnixMilli() {
			t.Errorf("batch %d, completed before the graceful stop, ran %d times after the restart", ms, n)
		}
	}
	if got, want := second.totals[rigBatch(4).UnixMilli()], wantTotals(pushes, 4); !maps.Equal(got, want) {
		t.Errorf("batch 4 after the restart: %v, want %v", got, want)
	}
}

// TestGracefulStopGivesUpWithoutProgress: a batch that never finishes makes
// the graceful stop give up after the timeout, and the stop says exactly
// what was left: every generated batch, with its records.
func TestGracefulStopGivesUpWithoutProgress(t *testing.T) {
	h := streamtest.New(t, time.Second, streamtest.WithConf(conf.GracefulStopTimeout, "300ms"))
	in, q := streamtest.Input[int](h)
	started := make(chan struct{}, 3)
	in.ForeachRDD(func(ctx context.Context, _ time.Time, _ *engine.RDD[int]) error {
		started <- struct{}{}
		<-ctx.Done() // stuck until the stop gives up on it
		return ctx.Err()
	})
	h.Start()
	q.Push(1, 2)
	q.Push(3, 4, 5)
	q.Push(6, 7, 8, 9)
	h.Clock.Set(h.BatchTime(2))
	<-started
	h.Ctx.Stop(true)
	err := waitDone(t, h.Ctx)
	var inc *engine.StopIncompleteError
	if !errors.As(err, &inc) {
		t.Fatalf("after a graceful stop that gave up: %v, want a *StopIncompleteError", err)
	}
	if inc.Batches != 3 || inc.Records != 9 || inc.WAL {
		t.Errorf("left: %d batches, %d records, WAL %t; want 3 batches, 9 records, no WAL", inc.Batches, inc.Records, inc.WAL)
	}
	if !containsAll(err.Error(), "3 batches with 9 records", "they are lost", conf.ReceiverWALEnable) {
		t.Errorf("the error does not say what was lost and what to do: %v", err)
	}
}

// TestGracefulStopWaitsWhileBatchesProgress: a backlog that takes far
// longer than the timeout, each of its batches completing well within it,
// is processed whole: the timeout bounds a stop without progress only.
func TestGracefulStopWaitsWhileBatchesProgress(t *testing.T) {
	const batches, perBatch = 20, 100 * time.Millisecond // 2 s of backlog
	h := streamtest.New(t, time.Second, streamtest.WithConf(conf.GracefulStopTimeout, "1s"))
	in, q := streamtest.Input[int](h)
	var mu sync.Mutex
	var seen int64
	in.ForeachRDD(func(ctx context.Context, _ time.Time, r *engine.RDD[int]) error {
		n, err := r.Count(ctx)
		if err != nil {
			return err
		}
		select {
		case <-time.After(perBatch): // a slow sink
		case <-ctx.Done():
			return ctx.Err()
		}
		mu.Lock()
		seen += n
		mu.Unlock()
		return nil
	})
	h.Start()
	var pushed int64
	for i := range batches {
		items := make([]int, i+1)
		q.Push(items...)
		pushed += int64(len(items))
	}
	h.Clock.Set(h.BatchTime(batches - 1))
	h.Ctx.Stop(true)
	if err := waitDone(t, h.Ctx); err != nil {
		t.Fatalf("a graceful stop whose batches kept completing: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if seen != pushed {
		t.Errorf("the graceful stop processed %d records of the %d received", seen, pushed)
	}
}

// TestGracefulStopIncompleteKeepsWALRecords: with the write-ahead log, the
// records a stop had to leave (in a batch, and received after it) are said
// to be kept, and the next start processes them.
func TestGracefulStopIncompleteKeepsWALRecords(t *testing.T) {
	dir := t.TempDir()
	recv := newPushReceiver()
	release, started := make(chan struct{}), make(chan struct{}, 1)
	var mu sync.Mutex
	counts := map[string]int{}
	setup := func(ssc *engine.Context) error {
		words := engine.Map(engine.ReceiverStream(ssc, "push", engine.Receiver[string](recv)),
			func(w string) engine.Pair[string, int] { return engine.KV(w, 1) })
		engine.UpdateStateByKey(words, func(vs []int, s engine.Opt[int]) engine.Opt[int] {
			return engine.Some(s.Value + len(vs))
		}).ForeachRDD(func(ctx context.Context, _ time.Time, r *engine.RDD[engine.Pair[string, int]]) error {
			select {
			case started <- struct{}{}:
			default:
			}
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
			items, err := r.Collect(ctx)
			mu.Lock()
			defer mu.Unlock()
			for _, kv := range items {
				counts[kv.Key] = kv.Value
			}
			return err
		})
		return nil
	}
	r1, err := newRig(t, dir, rigStart, setup, nil, conf.ReceiverWALEnable, "true", conf.GracefulStopTimeout, "300ms")
	must(t, err)
	must(t, r1.ssc.Start())
	must(t, recv.store(t, "a", "b"))
	r1.clock.Set(rigBatch(1)) // batch 1 takes a, b and blocks
	<-started
	must(t, recv.store(t, "a")) // acknowledged, in no batch yet
	r1.ssc.Stop(true)
	err = waitDone(t, r1.ssc)
	var inc *engine.StopIncompleteError
	if !errors.As(err, &inc) {
		t.Fatalf("after a graceful stop that gave up: %v, want a *StopIncompleteError", err)
	}
	if inc.Batches != 1 || inc.Records != 3 || !inc.WAL {
		t.Errorf("left: %d batches, %d records, WAL %t; want 1 batch, 3 records, in the WAL", inc.Batches, inc.Records, inc.WAL)
	}
	if !strings.Contains(err.Error(), "kept in the write-ahead log for the next start") {
		t.Errorf("the error does not say the records are kept: %v", err)
	}

	close(release)
	r2, err := newRig(t, dir, rigBatch(1).Add(500*time.Millisecond), setup, nil, conf.ReceiverWALEnable, "true")
	must(t, err)
	must(t, r2.ssc.Start())
	r2.advance(2)
	mu.Lock()
	defer mu.Unlock()
	if counts["a"] != 2 || counts["b"] != 1 {
		t.Errorf("after the next start: %v, want a=2 b=1 (the records the stop left, read back from the WAL)", counts)
	}
}
