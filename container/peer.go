package container

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// peer is one side of an executor connection after the handshake: either
// side sends requests (a message with Seq) and waits for the reply (a
// message with Reply = Seq), while a reader goroutine hands the other side's
// requests to a handler. Requests are handled on goroutines of their own, so
// a slow one (a block waiting for the write-ahead log) never holds up
// heartbeats.
type peer struct {
	lc      *lineConn
	timeout time.Duration

	sendMu sync.Mutex // one line at a time

	mu      sync.Mutex
	nextSeq int64
	waiting map[int64]chan message
	err     error         // why the connection ended
	done    chan struct{} // closed when the reader ends
}

func newPeer(lc *lineConn, timeout time.Duration) *peer {
	return &peer{lc: lc, timeout: timeout, waiting: map[int64]chan message{}, done: make(chan struct{})}
}

// send writes one message.
func (p *peer) send(m message) error {
	p.sendMu.Lock()
	defer p.sendMu.Unlock()
	return p.lc.send(m, p.timeout)
}

// request sends m as a request and waits for its reply (whose Error, if
// any, is returned as an error).
func (p *peer) request(ctx context.Context, m message) (message, error) {
	ch := make(chan message, 1)
	p.mu.Lock()
	if p.err != nil {
		err := p.err
		p.mu.Unlock()
		return message{}, err
	}
	p.nextSeq++
	m.Seq = p.nextSeq
	p.waiting[m.Seq] = ch
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.waiting, m.Seq)
		p.mu.Unlock()
	}()
	if err := p.send(m); err != nil {
		return message{}, err
	}
	select {
	case r := <-ch:
		if r.Error != "" {
			return r, errors.New(r.Error)
		}
		return r, nil
	case <-p.done:
		return message{}, p.closedErr()
	case <-ctx.Done():
		return message{}, ctx.Err()
	}
}

// reply answers request seq.
func (p *peer) reply(seq int64, err error) error {
	m := message{Reply: seq}
	if err != nil {
		m.Error = err.Error()
	}
	return p.send(m)
}

// read dispatches replies and hands requests to handle (each on its own
// goroutine, tracked by wg) until the connection fails; it then fails every
// waiting request and returns the error. Nothing arriving for the timeout
// is a failure too: the other side heartbeats well within it.
func (p *peer) read(handle func(message), wg *sync.WaitGroup) error {
	var err error
	for {
		var m message
		if m, err = p.lc.recv(p.timeout); err != nil {
			break
		}
		if m.Reply != 0 {
			p.mu.Lock()
			ch := p.waiting[m.Reply]
			p.mu.Unlock()
			if ch != nil {
				ch <- m
			}
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); handle(m) }()
	}
	p.mu.Lock()
	p.err = fmt.Errorf("connection lost: %w", err)
	p.mu.Unlock()
	close(p.done)
	return err
}

func (p *peer) closedErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}
