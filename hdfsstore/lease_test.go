package hdfsstore_test

import (
	"context"
	"errors"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gostream/gostream/hdfsstore"
)

func holder(app string, attempt int, run string) hdfsstore.LeaseHolder {
	return hdfsstore.LeaseHolder{App: app, Attempt: attempt, Run: run, Host: "h", PID: 1}
}

var minute = hdfsstore.LeaseOptions{Expiry: time.Minute}

func TestLeaseSecondHolderRefused(t *testing.T) {
	fsys, dir := hdfsstore.NewLocal(), t.TempDir()
	ctx := context.Background()
	if _, err := hdfsstore.AcquireLease(ctx, fsys, dir, holder("", 0, "one"), minute); err != nil {
		t.Fatal(err)
	}
	_, err := hdfsstore.AcquireLease(ctx, fsys, dir, holder("", 0, "two"), minute)
	var held *hdfsstore.LeaseHeldError
	if !errors.As(err, &held) || !errors.Is(err, hdfsstore.ErrLeaseHeld) {
		t.Fatalf("second holder: %v, want a *LeaseHeldError", err)
	}
	if held.Holder.Run != "one" || held.ExpiresIn <= 0 || held.ExpiresIn > time.Minute ||
		!strings.Contains(err.Error(), "local run one on h (pid 1)") || !strings.Contains(err.Error(), "expires in") {
		t.Errorf("refusal %q (%+v): want the holder named and the time left", err, held)
	}
}

// A later attempt of the same application takes over at once, and the
// earlier one is fenced at its next commit, rename or removal.
func TestLeaseSuccessorFencesPredecessor(t *testing.T) {
	fsys, dir := hdfsstore.NewLocal(), t.TempDir()
	ctx := context.Background()
	first, err := hdfsstore.AcquireLease(ctx, fsys, dir, holder("application_1_0001", 1, "a1"), minute)
	if err != nil {
		t.Fatal(err)
	}
	zombie := hdfsstore.Fenced(fsys, first.Check)
	if err := hdfsstore.WriteFileAtomic(ctx, zombie, path.Join(dir, "before"), []byte("x")); err != nil {
		t.Fatalf("a commit before the takeover: %v", err)
	}
	if _, err := hdfsstore.AcquireLease(ctx, fsys, dir, holder("application_1_0002", 2, "other"), minute); !errors.Is(err, hdfsstore.ErrLeaseHeld) {
		t.Fatalf("another application: %v, want refused", err)
	}
	second, err := hdfsstore.AcquireLease(ctx, fsys, dir, holder("application_1_0001", 2, "a2"), minute)
	if err != nil {
		t.Fatalf("the next attempt: %v, want it to take over", err)
	}
	if second.Epoch() != first.Epoch()+1 || second.Previous.Run != "a1" {
		t.Errorf("successor: epoch %d previous %+v", second.Epoch(), second.Previous)
	}
	w, err := zombie.Create(ctx, path.Join(dir, "segment"))
	if err != nil {
		t.Fatal(err)
	}
	err = w.Commit(ctx)
	var fenced *hdfsstore.FencedError
	if !errors.As(err, &fenced) || !errors.Is(err, hdfsstore.ErrFenced) || fenced.Newer.Run != "a2" ||
		!strings.Contains(err.Error(), "application_1_0001 attempt 2") {
		t.Fatalf("the zombie's commit: %v, want fenced by attempt 2", err)
	}
	_ = w.Abort(ctx)
	if ok, _ := hdfsstore.Exists(ctx, fsys, path.Join(dir, "segment")); ok {
		t.Error("the zombie's fenced commit left its file")
	}
	if err := zombie.Rename(ctx, path.Join(dir, "before"), path.Join(dir, "after")); !errors.Is(err, hdfsstore.ErrFenced) {
		t.Errorf("the zombie's rename: %v, want fenced", err)
	}
	if err := zombie.RemoveAll(ctx, path.Join(dir, "before")); !errors.Is(err, hdfsstore.ErrFenced) {
		t.Errorf("the zombie's removal: %v, want fenced", err)
	}
	if err := first.Renew(ctx); !errors.Is(err, hdfsstore.ErrFenced) {
		t.Errorf("the zombie's renewal: %v, want fenced", err)
	}
	if err := second.Check(ctx); err != nil {
		t.Errorf("the successor's check: %v", err)
	}
	// An attempt older than the holder's does not take over.
	if _, err := hdfsstore.AcquireLease(ctx, fsys, dir, holder("application_1_0001", 1, "late"), minute); !errors.Is(err, hdfsstore.ErrLeaseHeld) {
		t.Errorf("an older attempt: %v, want refused", err)
	}
}

func TestLeaseExpiredTakenOver(t *testing.T) {
	fsys, dir := hdfsstore.NewLocal(), t.TempDir()
	ctx := context.Background()
	short := hdfsstore.LeaseOptions{Expiry: 50 * time.Millisecond}
	old, err := hdfsstore.AcquireLease(ctx, fsys, dir, holder("application_1_0001", 1, "old"), short)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	l, err := hdfsstore.AcquireLease(ctx, fsys, dir, holder("application_1_0002", 1, "new"), short)
	if err != nil {
		t.Fatalf("an expired lease: %v, want it taken over", err)
	}
	if err := old.Check(ctx); !errors.Is(err, hdfsstore.ErrFenced) {
		t.Errorf("the expired holder's check: %v, want fenced", err)
	}
	if err := l.Renew(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := hdfsstore.AcquireLease(ctx, fsys, dir, holder("application_1_0003", 1, "third"), minute); !errors.Is(err, hdfsstore.ErrLeaseHeld) {
		t.Errorf("a renewed lease: %v, want refused", err)
	}
}

func TestLeaseReleasedOrDeadTakenOver(t *testing.T) {
	fsys, dir := hdfsstore.NewLocal(), t.TempDir()
	ctx := context.Background()
	l, err := hdfsstore.AcquireLease(ctx, fsys, dir, holder("", 0, "one"), minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := hdfsstore.AcquireLease(ctx, fsys, dir, holder("", 0, "two"), minute); err != nil {
		t.Fatalf("a released lease: %v, want it taken", err)
	}
	dead := hdfsstore.LeaseOptions{Expiry: time.Minute, Dead: func(_ context.Context, h hdfsstore.LeaseHolder) bool { return h.Run == "two" }}
	if _, err := hdfsstore.AcquireLease(ctx, fsys, dir, holder("", 0, "three"), dead); err != nil {
		t.Fatalf("a dead holder's lease: %v, want it taken", err)
	}
}

// Of several successors racing for an expired lease, exactly one wins.
func TestLeaseConcurrentSuccessors(t *testing.T) {
	fsys, dir := hdfsstore.NewLocal(), t.TempDir()
	ctx := context.Background()
	if _, err := hdfsstore.AcquireLease(ctx, fsys, dir, holder("application_1_0001", 1, "a1"), minute); err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = hdfsstore.AcquireLease(ctx, fsys, dir, holder("application_1_0001", 2, string(rune('a'+i))), minute)
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, hdfsstore.ErrLeaseHeld):
			t.Errorf("a loser: %v, want ErrLeaseHeld", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d successors won, want 1: %v", won, errs)
	}
}
