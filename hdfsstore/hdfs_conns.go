package hdfsstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"
)

// conns is a set of shared connections (a Resolver's), made at most once
// per key and closed together. The dial runs outside the lock: concurrent
// callers for a key wait for the one dial in progress, and a failed dial is
// forgotten, so the next caller dials again. The zero value is empty and
// open.
type conns[K comparable, C io.Closer] struct {
	mu     sync.Mutex
	m      map[K]*pendingConn[C]
	closed bool
}

// pendingConn is a connection being made, or made: c and err are set before
// ready is closed.
type pendingConn[C io.Closer] struct {
	ready chan struct{}
	c     C
	err   error
}

// errConnsClosed is returned for connections asked of, or made after, Close.
var errConnsClosed = fmt.Errorf("hdfs: the resolver is closed (%w)", fs.ErrClosed)

// get returns key's connection, calling dial (with ctx) when there is none.
// A caller that waited for another's dial, which failed because that
// caller's ctx ended, dials again with its own.
func (cs *conns[K, C]) get(ctx context.Context, key K, dial func(context.Context) (C, error)) (C, error) {
	var zero C
	for {
		cs.mu.Lock()
		if cs.closed {
			cs.mu.Unlock()
			return zero, errConnsClosed
		}
		p, ok := cs.m[key]
		if !ok {
			p = &pendingConn[C]{ready: make(chan struct{})}
			if cs.m == nil {
				cs.m = make(map[K]*pendingConn[C])
			}
			cs.m[key] = p
			cs.mu.Unlock()
			cs.dial(ctx, key, p, dial)
			return p.c, p.err
		}
		cs.mu.Unlock()
		select {
		case <-p.ready:
		case <-ctx.Done():
			return zero, ctx.Err()
		}
		dialerGaveUp := errors.Is(p.err, context.Canceled) || errors.Is(p.err, context.DeadlineExceeded)
		if !dialerGaveUp || ctx.Err() != nil {
			return p.c, p.err
		}
	}
}

// dial makes p's connection and publishes it, or forgets p when the dial
// failed. A connection made after Close is closed at once.
func (cs *conns[K, C]) dial(ctx context.Context, key K, p *pendingConn[C], dial func(context.Context) (C, error)) {
	c, err := dial(ctx)
	cs.mu.Lock()
	defer cs.mu.Unlock()
	defer close(p.ready)
	switch {
	case err != nil:
		delete(cs.m, key)
		p.err = err
	case cs.closed:
		_ = c.Close()
		p.err = errConnsClosed
	default:
		p.c = c
	}
}

// Close closes every connection made and refuses new ones; a dial in
// progress closes its connection when it ends.
func (cs *conns[K, C]) Close() error {
	cs.mu.Lock()
	cs.closed = true
	m := cs.m
	cs.m = nil
	cs.mu.Unlock()
	var errs []error
	for _, p := range m {
		select {
		case <-p.ready:
			if p.err == nil {
				errs = append(errs, p.c.Close())
			}
		default: // still dialling
		}
	}
	return errors.Join(errs...)
}
