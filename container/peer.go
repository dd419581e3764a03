package container

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gostream/gostream/engine/task"
)

// peer is one side of a connection after the handshake: either side sends
// requests (a message with Seq) and waits for the reply (a message with
// Reply = Seq), while a reader goroutine hands the other side's requests to
// a handler and sends back what it returns. Requests are handled on
// goroutines of their own, so a slow one (a block waiting for the
// write-ahead log, a running task) never holds up heartbeats.
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
// any, is returned as a *remoteError).
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
			return r, &remoteError{msg: r.Error, failure: r.Failure}
		}
		return r, nil
	case <-p.done:
		return message{}, p.closedErr()
	case <-ctx.Done():
		return message{}, ctx.Err()
	}
}

// handler answers one request: the reply's payload, or why it failed.
type handler func(req message) (message, error)

// errNoReply from a handler sends no reply: this side is going away, and
// the other sees the connection end, which says more than the error would.
var errNoReply = errors.New("no reply: the connection is ending")

// reply answers request seq with r, or with err when it is not nil. A
// payload too large for one line is sent as that error instead.
func (p *peer) reply(seq int64, r message, err error) error {
	if err != nil {
		r = message{Error: err.Error(), Failure: failureOf(err)}
	}
	r.Reply = seq
	err = p.send(r)
	if errors.Is(err, errLineTooLong) {
		err = p.send(message{Reply: seq, Error: err.Error()})
	}
	return err
}

// read dispatches replies and hands requests to handle (each on its own
// goroutine, tracked by wg) until the connection fails; it then fails every
// waiting request and returns the error. Nothing arriving for the timeout
// is a failure too: the other side heartbeats well within it, or, on a
// shuffle connection, the idle connection is done with.
func (p *peer) read(handle handler, wg *sync.WaitGroup) error {
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
		go func() {
			defer wg.Done()
			r, err := handle(m)
			if errors.Is(err, errNoReply) {
				return
			}
			_ = p.reply(m.Seq, r, err) // if this fails, the requester sees the connection end or times out
		}()
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

// remoteError is the error the other side replied with: the request
// failed there, the connection is fine. It keeps the kind of failure the
// other side gave it.
type remoteError struct {
	msg     string
	failure *failure
}

func (e *remoteError) Error() string { return e.msg }

// Unwrap is the failure's kind: task.ErrAuth, task.ErrProtocol,
// task.ErrOutputMissing or a *task.FetchFailedError; nil for the task's own
// errors.
func (e *remoteError) Unwrap() error {
	if e.failure == nil {
		return nil
	}
	switch e.failure.Kind {
	case failureAuth:
		return task.ErrAuth
	case failureProtocol:
		return task.ErrProtocol
	case failureOutputMissing:
		return task.ErrOutputMissing
	case failureFetch:
		return &task.FetchFailedError{Stage: e.failure.Stage, Map: e.failure.Map, Executor: e.failure.Executor, Err: errors.New(e.msg)}
	case failureDeclaredLost:
		return ErrDeclaredLost
	}
	return nil
}

// failure is the kind of a failed request's error on the wire.
type failure struct {
	Kind string `json:"kind"`
	// Of a fetch failure: the map output that could not be read.
	Stage    string `json:"stage,omitempty"`
	Map      int    `json:"map,omitempty"`
	Executor string `json:"executor,omitempty"`
}

// Kinds of failure on the wire. A task's own error has none; a lost
// executor replies nothing.
const (
	failureAuth          = "auth"
	failureProtocol      = "protocol"
	failureOutputMissing = "output_missing"
	failureFetch         = "fetch_failed"
	failureDeclaredLost  = "declared_lost" // a handshake's refusal
)

// failureOf is err's kind on the wire, nil for the task's own errors.
func failureOf(err error) *failure {
	if errors.Is(err, task.ErrOutputMissing) {
		return &failure{Kind: failureOutputMissing}
	}
	if errors.Is(err, ErrDeclaredLost) {
		return &failure{Kind: failureDeclaredLost}
	}
	switch task.KindOf(err) {
	case task.Auth:
		return &failure{Kind: failureAuth}
	case task.Protocol:
		return &failure{Kind: failureProtocol}
	case task.FetchFailed:
		fe, _ := errors.AsType[*task.FetchFailedError](err)
		return &failure{Kind: failureFetch, Stage: fe.Stage, Map: fe.Map, Executor: fe.Executor}
	}
	return nil
}

// isRemote says whether err is the other side's answer, as opposed to the
// connection failing.
func isRemote(err error) bool {
	var r *remoteError
	return errors.As(err, &r)
}
