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

// A holder whose YARN application has ended (killed: its lease never
// released) is taken over at once by another application; one that YARN
// says runs, or that YARN cannot be asked about, keeps its lease. The first
// driver here stands for the killed application's zombie: it is fenced.
func TestCheckpointDirectoryLeaseOfEndedApplication(t *testing.T) {
	dir := t.TempDir()
	first, err := leaseApp(t, dir, engine.WithApplicationAttempt("application_1_0001", 1))
	if err != nil {
		t.Fatal(err)
	}
	var asked []string
	yarnSays := func(ended bool, err error) engine.Option {
		return engine.WithApplicationEnded(func(_ context.Context, app string) (bool, error) {
			asked = append(asked, app)
			return ended, err
		})
	}
	for _, opt := range []engine.Option{yarnSays(false, nil), yarnSays(false, errors.New("connection refused"))} {
		if _, err := leaseApp(t, dir, engine.WithApplicationAttempt("application_1_0002", 1), opt); !errors.Is(err, hdfsstore.ErrLeaseHeld) {
			t.Fatalf("a second application while the first runs (or YARN cannot tell): %v, want refused", err)
		}
	}
	if _, err := leaseApp(t, dir, engine.WithApplicationAttempt("application_1_0002", 1), yarnSays(true, nil)); err != nil {
		t.Fatalf("a second application after the first ended: %v, want the lease taken over", err)
	}
	if len(asked) != 3 || asked[2] != "application_1_0001" {
		t.Errorf("YARN was asked about %v, want application_1_0001 three times", asked)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := first.AwaitTermination(ctx); !errors.Is(err, hdfsstore.ErrFenced) || !strings.Contains(err.Error(), "application_1_0002 attempt 1") {
		t.Fatalf("the ended application's driver ended with %v, want it fenced by application_1_0002", err)
	}
}
