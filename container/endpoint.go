package container

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sort"
	"strconv"
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
// executors that prove the secret, tracks their heartbeats and runs
// receivers on them (RunReceiver, the engine's ReceiverHost). Close
// disconnects every executor, which then exit.
type Endpoint struct {
	ln      net.Listener
	secret  string
	timeout time.Duration
	log     *slog.Logger

	mu      sync.Mutex
	execs   map[string]*executorConn
	conns   map[net.Conn]struct{}
	nextRun int64
	changed chan struct{} // closed and replaced when an executor registers
	closed  bool
	wg      sync.WaitGroup
}

// executorConn is a registered executor's connection.
type executorConn struct {
	info ExecutorInfo
	peer *peer
	runs map[int64]*receiverRun // under Endpoint.mu
}

// EndpointOptions configure an Endpoint.
type EndpointOptions struct {
	// Addr to listen on (":0": any port), unless Listener is set.
	Addr     string
	Listener net.Listener
	Secret   string
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
	ln := o.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", o.Addr); err != nil {
			return nil, fmt.Errorf("executor endpoint: listen on %s: %w", o.Addr, err)
		}
	}
	e := &Endpoint{ln: ln, secret: o.Secret, timeout: o.Timeout, log: o.Logger,
		execs: map[string]*executorConn{}, conns: map[net.Conn]struct{}{}, changed: make(chan struct{})}
	e.wg.Add(1)
	go e.accept()
	return e, nil
}

// EnvDriverListenFD names the file descriptor of the listening socket that
// gostream-submit passes to a client-mode driver (it needs the address
// before the driver starts, to give it to the application master).
const EnvDriverListenFD = "GOSTREAM_DRIVER_LISTEN_FD"

// ListenFromEnv is the client-mode driver's endpoint: on the socket in
// EnvDriverListenFD, with the secret in EnvExecutorSecret.
func ListenFromEnv(getenv func(string) string, timeout time.Duration, log *slog.Logger) (*Endpoint, error) {
	fd, err := strconv.Atoi(getenv(EnvDriverListenFD))
	if err != nil || fd < 3 {
		return nil, fmt.Errorf("%s=%q is not an inherited file descriptor (the client-mode driver is started by gostream-submit)", EnvDriverListenFD, getenv(EnvDriverListenFD))
	}
	f := os.NewFile(uintptr(fd), "driver-endpoint")
	defer f.Close() // FileListener dups it
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvDriverListenFD, err)
	}
	secret := getenv(EnvExecutorSecret)
	if secret == "" {
		ln.Close()
		return nil, fmt.Errorf("%s is not set (the client-mode driver is started by gostream-submit)", EnvExecutorSecret)
	}
	return Listen(EndpointOptions{Listener: ln, Secret: secret, Timeout: timeout, Logger: log})
}

// Port is the port the endpoint listens on.
func (e *Endpoint) Port() int { return e.ln.Addr().(*net.TCPAddr).Port }

// Executors lists the registered executors, by id.
func (e *Endpoint) Executors() []ExecutorInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]ExecutorInfo, 0, len(e.execs))
	for _, x := range e.execs {
		out = append(out, x.info)
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
	x := &executorConn{info: ExecutorInfo{ID: hello.ExecutorID, Host: hello.Host, Cores: hello.Cores, PID: hello.PID,
		Remote: c.RemoteAddr().String(), Registered: now, LastHeartbeat: now},
		peer: newPeer(lc, e.timeout), runs: map[int64]*receiverRun{}}
	if err := lc.send(message{OK: true}, e.timeout); err != nil {
		return err
	}
	if hello.Launcher {
		// The client-mode AM watches the driver: it runs nothing here.
		e.log.Info("application master connected", "remote", x.info.Remote)
	} else {
		e.register(x)
		defer e.unregister(x)
		e.log.Info("executor registered", "executor", x.info.ID, "host", x.info.Host, "cores", x.info.Cores, "remote", x.info.Remote)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var handlers sync.WaitGroup
	defer func() { cancel(); handlers.Wait() }()
	err = x.peer.read(func(m message) { e.handle(ctx, x, m) }, &handlers)
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		return nil
	}
	return fmt.Errorf("executor %s lost: %w", x.info.ID, err)
}

func (e *Endpoint) register(x *executorConn) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.execs[x.info.ID] = x
	close(e.changed)
	e.changed = make(chan struct{})
}

func (e *Endpoint) unregister(x *executorConn) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.execs[x.info.ID] == x {
		delete(e.execs, x.info.ID)
	}
}

// handle answers one request of executor x.
func (e *Endpoint) handle(ctx context.Context, x *executorConn, m message) {
	if m.Op == opHeartbeat {
		e.mu.Lock()
		x.info.LastHeartbeat = time.Now()
		e.mu.Unlock()
		_ = x.peer.reply(m.Seq, nil)
		return
	}
	e.mu.Lock()
	run := x.runs[m.Run]
	e.mu.Unlock()
	if run == nil {
		_ = x.peer.reply(m.Seq, fmt.Errorf("%s for receiver run %d, which this driver does not know", m.Op, m.Run))
		return
	}
	_ = x.peer.reply(m.Seq, run.handle(ctx, m))
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
