package hdfsstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"sync"
	"time"
)

// opTimeoutError is what a call that outlived HDFSOptions.OpTimeout returns
// (wrapped, with what was waited for). It matches os.ErrDeadlineExceeded and
// ErrUnavailable.
type opTimeoutError struct {
	timeout time.Duration
}

func (e *opTimeoutError) Error() string {
	return fmt.Sprintf("no answer from HDFS within %v (the per-call timeout)", e.timeout)
}

func (e *opTimeoutError) Unwrap() []error { return []error{os.ErrDeadlineExceeded, ErrUnavailable} }

// call runs fn, which blocks on the network, so that the caller gets an
// answer when ctx is done or OpTimeout passes, whichever is first.
//
// colinmarc/hdfs has no context support, so fn cannot be interrupted: it goes
// on in the background until its own connection deadlines end it. If it
// finishes after the caller gave up, abandon (when not nil) receives its
// result to release what it made (close a file, remove a half-created one).
// So a call that returns ctx.Err() may still have taken effect; callers that
// need to know must check (Stat) afterwards.
func call[T any](ctx context.Context, h *HDFS, fn func() (T, error), abandon func(T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	if h.closed.Load() {
		return zero, fmt.Errorf("%s is closed (%w)", h, fs.ErrClosed)
	}
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := fn()
		done <- result{v, err}
	}()
	timer := time.NewTimer(h.opts.OpTimeout)
	defer timer.Stop()
	var err error
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		err = ctx.Err()
	case <-timer.C:
		err = &opTimeoutError{timeout: h.opts.OpTimeout}
	}
	if abandon != nil {
		go func() {
			r := <-done
			abandon(r.v, r.err)
		}()
	}
	return zero, err
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// deadlineConn bounds every wait on a NameNode connection: each Read and
// Write must make progress within idle, or the connection is closed (the
// client then reconnects on its next call). The NameNode connection carries
// one request at a time and reads only while a response is due, so an idle
// connection never trips it.
type deadlineConn struct {
	net.Conn
	idle time.Duration

	mu     sync.Mutex
	failed bool
}

func (c *deadlineConn) Read(b []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.idle)); err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(b)
	c.check(err)
	return n, err
}

func (c *deadlineConn) Write(b []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(time.Now().Add(c.idle)); err != nil {
		return 0, err
	}
	n, err := c.Conn.Write(b)
	c.check(err)
	return n, err
}

// check closes the connection after a timeout: a response may still be on
// its way, and reading it as the answer to the next request would be wrong.
func (c *deadlineConn) check(err error) {
	if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.failed {
		c.failed = true
		_ = c.Conn.Close()
	}
}

// dialer returns a dial function with the connect timeout, wrapping
// connections in deadlineConn when idle > 0.
func dialer(connect, idle time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if idle > 0 {
			return &deadlineConn{Conn: conn, idle: idle}, nil
		}
		return conn, nil
	}
}
