package hdfsstore

import (
	"context"
	"errors"
	"io/fs"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeConn counts its Close calls.
type fakeConn struct{ closed atomic.Int32 }

func (c *fakeConn) Close() error { c.closed.Add(1); return nil }

// TestConnsOneDialPerKey: concurrent callers for a key share one dial, made
// outside the lock (another key's dial is not held up by it).
func TestConnsOneDialPerKey(t *testing.T) {
	var cs conns[string, *fakeConn]
	release := make(chan struct{})
	var dials atomic.Int32
	slow := func(context.Context) (*fakeConn, error) {
		dials.Add(1)
		<-release
		return &fakeConn{}, nil
	}
	var wg sync.WaitGroup
	got := make([]*fakeConn, 8)
	for i := range got {
		wg.Go(func() {
			c, err := cs.get(t.Context(), "a", slow)
			if err != nil {
				t.Error(err)
			}
			got[i] = c
		})
	}
	// While "a" is being dialled, "b" is not blocked.
	b, err := cs.get(t.Context(), "b", func(context.Context) (*fakeConn, error) { return &fakeConn{}, nil })
	if err != nil || b == nil {
		t.Fatalf("get(b) during a's dial: %v, %v", b, err)
	}
	close(release)
	wg.Wait()
	if n := dials.Load(); n != 1 {
		t.Errorf("%d dials for one key, want 1", n)
	}
	for _, c := range got {
		if c != got[0] {
			t.Fatal("callers got different connections for one key")
		}
	}
	if err := cs.Close(); err != nil {
		t.Fatal(err)
	}
	if got[0].closed.Load() != 1 || b.closed.Load() != 1 {
		t.Errorf("Close closed a %d times, b %d times; want once each", got[0].closed.Load(), b.closed.Load())
	}
	if _, err := cs.get(t.Context(), "a", slow); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("get after Close: %v, want fs.ErrClosed", err)
	}
}

// TestConnsFailedDialForgotten: a failed dial is not cached; its waiters
// get its error.
func TestConnsFailedDialForgotten(t *testing.T) {
	var cs conns[string, *fakeConn]
	defer cs.Close()
	boom := errors.New("boom")
	if _, err := cs.get(t.Context(), "a", func(context.Context) (*fakeConn, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("get: %v, want boom", err)
	}
	c, err := cs.get(t.Context(), "a", func(context.Context) (*fakeConn, error) { return &fakeConn{}, nil })
	if err != nil || c == nil {
		t.Fatalf("get after a failed dial: %v, %v; want a new dial", c, err)
	}
}

// TestConnsDialerGaveUp: when the dialling caller's context ends, a waiter
// with a live context dials again instead of taking that caller's error;
// a waiter whose own context ends stops waiting.
func TestConnsDialerGaveUp(t *testing.T) {
	var cs conns[string, *fakeConn]
	defer cs.Close()
	dctx, cancel := context.WithCancel(t.Context())
	started := make(chan struct{})
	dialerDone := make(chan error, 1)
	go func() {
		_, err := cs.get(dctx, "a", func(ctx context.Context) (*fakeConn, error) {
			close(started)
			<-ctx.Done()
			return nil, ctx.Err()
		})
		dialerDone <- err
	}()
	<-started
	waiterDone := make(chan *fakeConn, 1)
	go func() {
		c, err := cs.get(t.Context(), "a", func(context.Context) (*fakeConn, error) { return &fakeConn{}, nil })
		if err != nil {
			t.Error(err)
		}
		waiterDone <- c
	}()
	impatient, stop := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer stop()
	if _, err := cs.get(impatient, "a", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiter whose context ended: %v, want its context's error", err)
	}
	cancel()
	if err := <-dialerDone; !errors.Is(err, context.Canceled) {
		t.Errorf("dialler: %v, want context.Canceled", err)
	}
	if c := <-waiterDone; c == nil {
		t.Error("the waiter did not dial again")
	}
}

// TestConnsCloseDuringDial: a connection whose dial ends after Close is
// closed, not handed out.
func TestConnsCloseDuringDial(t *testing.T) {
	var cs conns[string, *fakeConn]
	started, release := make(chan struct{}), make(chan struct{})
	c := &fakeConn{}
	done := make(chan error, 1)
	go func() {
		_, err := cs.get(t.Context(), "a", func(context.Context) (*fakeConn, error) {
			close(started)
			<-release
			return c, nil
		})
		done <- err
	}()
	<-started
	if err := cs.Close(); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-done; !errors.Is(err, fs.ErrClosed) {
		t.Errorf("a dial that ended after Close: %v, want fs.ErrClosed", err)
	}
	if c.closed.Load() != 1 {
		t.Errorf("the late connection was closed %d times, want once", c.closed.Load())
	}
}
