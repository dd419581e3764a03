package engine_test

import (
	"context"
	"encoding/json"
	"maps"
	"path/filepath"
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
