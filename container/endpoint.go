package container

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"sync"
	"time"
)

// ExecutorInfo is a registered executor as the driver sees it.
type ExecutorInfo struct {
	ID            string    `json:"id"`
	Host          string    `json:"host"`
	Cores         int       `json:"cores"`
	PID           int       `json:"pid"`
	Remote        string    `json:"remote"`
	Registered    time.Time `json:"registered"`
	LastHeartbeat time.Time `json:"last_heartbeat"`
}

// Endpoint is the driver's side of the executor protocol: it accepts
// executors that prove the secret and tracks their heartbeats. Close
// disconnects every executor, which then exit.
type Endpoint struct {
	ln      net.Listener
	secret  string
	timeout time.Duration
	log     *slog.Logger

	mu     sync.Mutex
	execs  map[string]*ExecutorInfo
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// EndpointOptions configure an Endpoint.
type EndpointOptions struct {
	// Addr to listen on (":0": any port).
	Addr   string
	Secret string
	// Timeout: an executor silent this long is dropped; also bounds the
	// handshake (gostream.network.timeout).
	Timeout time.Duration
	Logger  *slog.Logger
}

// Listen starts an endpoint.
func Listen(o EndpointOptions) (*Endpoint, error) {
	if o.Secret == "" {
		return nil, errors.New("executor endpoint: empty secret")
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("executor endpoint: listen on %s: %w", o.Addr, err)
	}
	e := &Endpoint{ln: ln, secret: o.Secret, timeout: o.Timeout, log: o.Logger,
		execs: map[string]*ExecutorInfo{}, conns: map[net.Conn]struct{}{}}
	e.wg.Add(1)
	go e.accept()
	return e, nil
}

// Port is the port the endpoint listens on.
func (e *Endpoint) Port() int { return e.ln.Addr().(*net.TCPAddr).Port }

// Executors lists the registered executors, by id.
func (e *Endpoint) Executors() []ExecutorInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]ExecutorInfo, 0, len(e.execs))
	for _, x := range e.execs {
		out = append(out, *x)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Close stops accepting, disconnects every executor and waits for the
// endpoint's goroutines.
func (e *Endpoint) Close() error {
	e.mu.Lock()
	e.closed = true
	for c := range e.conns {
		c.Close()
	}
	e.mu.Unlock()
	err := e.ln.Close()
	e.wg.Wait()
	return err
}

func (e *Endpoint) accept() {
	defer e.wg.Done()
	for {
		c, err := e.ln.Accept()
		if err != nil {
			return // closed
		}
		e.mu.Lock()
		if e.closed {
			e.mu.Unlock()
			c.Close()
			return
		}
		e.conns[c] = struct{}{}
		e.wg.Add(1)
		e.mu.Unlock()
		go func() {
			defer e.wg.Done()
			defer func() {
				e.mu.Lock()
				delete(e.conns, c)
				e.mu.Unlock()
				c.Close()
			}()
			if err := e.serve(c); err != nil {
				e.log.Warn("executor connection ended", "remote", c.RemoteAddr(), "err", err)
			}
		}()
	}
}

// serve runs one executor's connection: handshake, then heartbeats.
func (e *Endpoint) serve(c net.Conn) error {
	lc := newLineConn(c)
	challenge := make([]byte, 32)
	if _, err := rand.Read(challenge); err != nil {
		return err
	}
	if err := lc.send(message{Challenge: challenge}, e.timeout); err != nil {
		return err
	}
	hello, err := lc.recv(e.timeout)
	if err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	if !hmac.Equal(hello.Proof, proof(e.secret, challenge)) {
		_ = lc.send(message{Error: "authentication failed: wrong application secret"}, e.timeout)
		return fmt.Errorf("%w: connection from %s refused", ErrAuth, c.RemoteAddr())
	}
	if hello.ExecutorID == "" {
		_ = lc.send(message{Error: "no executor id"}, e.timeout)
		return errors.New("handshake: no executor id")
	}
	now := time.Now()
	info := &ExecutorInfo{ID: hello.ExecutorID, Host: hello.Host, Cores: hello.Cores, PID: hello.PID,
		Remote: c.RemoteAddr().String(), Registered: now, LastHeartbeat: now}
	e.mu.Lock()
	e.execs[info.ID] = info
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		if e.execs[info.ID] == info {
			delete(e.execs, info.ID)
		}
		e.mu.Unlock()
	}()
	if err := lc.send(message{OK: true}, e.timeout); err != nil {
		return err
	}
	e.log.Info("executor registered", "executor", info.ID, "host", info.Host, "cores", info.Cores, "remote", info.Remote)
	for {
		m, err := lc.recv(e.timeout)
		if err != nil {
			e.mu.Lock()
			closed := e.closed
			e.mu.Unlock()
			if closed {
				return nil
			}
			return fmt.Errorf("executor %s lost: %w", info.ID, err)
		}
		e.mu.Lock()
		info.LastHeartbeat = time.Now()
		e.mu.Unlock()
		if err := lc.send(message{Ack: m.Heartbeat}, e.timeout); err != nil {
			return fmt.Errorf("executor %s: %w", info.ID, err)
		}
	}
}

// waitRegistered waits until n executors are registered (tests).
func (e *Endpoint) waitRegistered(ctx context.Context, n int) error {
	for len(e.Executors()) < n {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}
