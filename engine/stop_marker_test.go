package engine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/hdfsstore"
)

// runWithMarker runs a driver whose stop marker is marker, with a queue input
// fed every few milliseconds, in the background. It returns the number of
// records processed so far and the driver's result channel.
func runWithMarker(t *testing.T, marker string, fsys hdfsstore.FS) (*atomic.Int64, <-chan error) {
	t.Helper()
	c := conf.Defaults()
	for k, v := range map[string]string{conf.Master: "local[1]", conf.StopMarker: marker, conf.StopMarkerPollInterval: "20ms"} {
		if err := c.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	var processed atomic.Int64
	q := engine.NewQueue[int]()
	ctx, cancel := context.WithCancel(context.Background())
	feed := time.NewTicker(5 * time.Millisecond)
	go func() {
		defer feed.Stop()
		for i := 0; ctx.Err() == nil; i++ {
			<-feed.C
			q.Push(i)
		}
	}()
	done := make(chan error, 1)
	go func() {
		defer close(done) // later receives (the cleanup's) get nil at once
		defer cancel()
		done <- engine.RunConf(context.Background(), c, 50*time.Millisecond, func(ssc *engine.Context) error {
			engine.QueueStream(ssc, q, false).ForeachRDD(func(ctx context.Context, _ time.Time, r *engine.RDD[int]) error {
				n, err := r.Count(ctx)
				processed.Add(n)
				return err
			})
			return nil
		}, engine.WithLogger(quietLogger()), engine.WithFileSystem(fsys))
	}()
	t.Cleanup(func() {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("the driver did not stop")
		}
	})
	return &processed, done
}

func waitFile(t *testing.T, name string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(name); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s was not created", name)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func waitProcessed(t *testing.T, n *atomic.Int64, atLeast int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for n.Load() < atLeast {
		if time.Now().After(deadline) {
			t.Fatalf("processed %d records, want at least %d", n.Load(), atLeast)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestStopMarkerDeletedStopsGracefully(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "app.running")
	processed, done := runWithMarker(t, marker, hdfsstore.NewLocal())
	waitFile(t, marker)
	waitProcessed(t, processed, 10)
	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the driver stopped with %v, want nil (a graceful stop)", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the driver still runs after its stop marker was deleted")
	}
}

// An existing marker is kept, and a marker that cannot be checked never
// stops the application.
func TestStopMarkerUncheckableKeepsRunning(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "app.running")
	if err := os.WriteFile(marker, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	fsys := &faultFS{FS: hdfsstore.NewLocal()}
	processed, done := runWithMarker(t, marker, fsys)
	waitProcessed(t, processed, 5)
	if b, _ := os.ReadFile(marker); string(b) != "keep" {
		t.Errorf("the existing marker was rewritten: %q", b)
	}

	fsys.mu.Lock()
	fsys.failStat = errors.New("namenode unreachable")
	fsys.mu.Unlock()
	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}
	before := processed.Load()
	time.Sleep(300 * time.Millisecond) // many polls, all failing
	select {
	case err := <-done:
		t.Fatalf("the driver stopped (%v) while its marker could not be checked", err)
	default:
	}
	waitProcessed(t, processed, before+5)

	fsys.mu.Lock()
	fsys.failStat = nil
	fsys.mu.Unlock()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the driver stopped with %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the driver still runs once the deleted marker could be checked")
	}
}

func TestStopMarkerCannotBeCreated(t *testing.T) {
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, done := runWithMarker(t, filepath.Join(notDir, "app.running"), hdfsstore.NewLocal())
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "stop marker") || !strings.Contains(err.Error(), conf.StopMarker) {
			t.Fatalf("err = %v, want a clear error naming the marker and %s", err, conf.StopMarker)
		}
		t.Logf("%v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("the driver started although its stop marker cannot be created")
	}
}
