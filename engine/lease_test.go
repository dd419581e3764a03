package engine_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/hdfsstore"
)

// leaseApp starts a small checkpointed application on dir.
func leaseApp(t *testing.T, dir string, opts ...engine.Option) (*engine.Context, error) {
	t.Helper()
	ssc, err := engine.GetOrCreate(dir, 100*time.Millisecond, func(ssc *engine.Context) error {
		q := engine.NewQueue[int]()
		q.Push(1, 2, 3)
		engine.QueueStream(ssc, q, true).Print(1)
		return nil
	}, append([]engine.Option{engine.WithStdout(io.Discard)}, opts...)...)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { ssc.Stop(false) })
	return ssc, ssc.Start()
}

// One driver per checkpoint directory: a second is refused, naming the
// first; a later attempt of the first's YARN application takes over, and
// the first stops at its next commit with an error naming its successor.
func TestCheckpointDirectoryLease(t *testing.T) {
	dir := t.TempDir()
	first, err := leaseApp(t, dir, engine.WithApplicationAttempt("application_1_0001", 1))
	if err != nil {
		t.Fatal(err)
	}
	_, err = leaseApp(t, dir, engine.WithApplicationAttempt("application_1_0002", 1))
	if !errors.Is(err, hdfsstore.ErrLeaseHeld) || !strings.Contains(err.Error(), "application_1_0001 attempt 1") ||
		!strings.Contains(err.Error(), "gostream.streaming.checkpoint.lease.timeout") {
		t.Fatalf("a second application: %v, want refused naming the holder", err)
	}
	if _, err := leaseApp(t, dir, engine.WithApplicationAttempt("application_1_0001", 2)); err != nil {
		t.Fatalf("the next attempt: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	err = first.AwaitTermination(ctx)
	if !errors.Is(err, hdfsstore.ErrFenced) || !strings.Contains(err.Error(), "application_1_0001 attempt 2") {
		t.Fatalf("the first attempt ended with %v, want it fenced by attempt 2", err)
	}
}

// A driver that stops releases its lease: the next one starts at once.
func TestCheckpointDirectoryLeaseReleased(t *testing.T) {
	dir := t.TempDir()
	first, err := leaseApp(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	first.Stop(false)
	if _, err := leaseApp(t, dir, engine.WithApplicationAttempt("application_1_0002", 1)); err != nil {
		t.Fatalf("after the holder stopped: %v", err)
	}
}
