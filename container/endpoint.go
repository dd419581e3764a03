package container

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/gostream/gostream/internal/procenv"
)

// ExecutorInfo is a registered executor as the driver sees it.
type ExecutorInfo struct {
	ID          string `json:"id"`
	Host        string `json:"host"`
	Cores       int    `json:"cores"`
	PID         int    `json:"pid"`
	Remote      string `json:"remote"`
	ShuffleAddr string `json:"shuffle_addr,omitempty"` // empty: it runs no tasks
	MetricsAddr string `json:"metrics_addr,omitempty"` // its Prometheus /metrics; empty: none
	// Tasks: running now, and ended since it registered, by final state
	// (engine/task: failed counts lost too).
	ActiveTasks    int       `json:"active_tasks"`
	CompletedTasks int64     `json:"completed_tasks"`
	FailedTasks    int64     `json:"failed_tasks"`
	CancelledTasks int64     `json:"cancelled_tasks"`
	Registered     time.Time `json:"registered"`
	LastHeartbeat  time.Time `json:"last_heartbeat"`
}

// Endpoint is the driver's side of the executor protocol: it accepts
// executors that prove the secret, tracks their heartbeats, runs receivers
// (RunReceiver, the engine's ReceiverHost) and shuffle map tasks (the
// engine's TaskHost) on them and reads their map outputs. Close disconnects
// every executor, which then exit.
type Endpoint struct {
	srv     *connServer
	secret  string
	timeout time.Duration
	log     *slog.Logger
	shuffle *shuffleClient
	// background: requests sent without waiting (cancel_task,
	// executor_lost).
	background sync.WaitGroup

	onLost func(id string, err error)

	mu    sync.Mutex
	execs map[string]*executorConn
	lost  map[string]time.Time // executors declared lost, refused if they come back
	// launchers: the client-mode AM's connections, told of lost executors.
	launchers map[*executorConn]bool
	nextRun   int64         // receiver and task runs
	changed   chan struct{} // closed and replaced when executors or their load change
}

// executorConn is a registered executor's connection.
type executorConn struct {
	info  ExecutorInfo
	peer  *peer
	runs  map[int64]*receiverRun // under Endpoint.mu
	tasks map[int64]*taskRun     // under Endpoint.mu
	// forgetFailing: its last forget_shuffles failed, which was logged
	// (under Endpoint.mu).
	forgetFailing bool
}

// EndpointOptions configure an Endpoint.
type EndpointOptions struct {
	// Addr to listen on (":0": any port), unless Listener is set.
	Addr     string
	Listener net.Listener
	Secret   string
	// Timeout: an executor silent this long is dropped; also bounds the
	// handshake and every read of a map output (gostream.network.timeout).
	Timeout time.Duration
	Logger  *slog.Logger
	// OnLost, when set, is called (on the executor's connection goroutine)
	// when a registered executor is declared lost: its connection failed,
	// or it was silent for Timeout (frozen, partitioned or dead). Its id is
	// then refused if it connects again. Close's disconnections are not
	// losses.
	OnLost func(id string, err error)
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
	e := &Endpoint{secret: o.Secret, timeout: o.Timeout, log: o.Logger,
		shuffle: newShuffleClient(o.Secret, "driver", o.Timeout, nil),
		onLost:  o.OnLost, execs: map[string]*executorConn{}, lost: map[string]time.Time{}, launchers: map[*executorConn]bool{}, changed: make(chan struct{})}
	e.srv = newConnServer(ln) // serve reads e.srv
	e.srv.start(func(c net.Conn) {
		if err := e.serve(c); err != nil {
			e.log.Warn("executor connection ended", "remote", c.RemoteAddr(), "err", err)
		}
	})
	return e, nil
}

// ListenFromEnv is the client-mode driver's endpoint: on the socket in
// procenv.DriverListenFD, with the secret in procenv.ExecutorSecret.
func ListenFromEnv(getenv func(string) string, timeout time.Duration, log *slog.Logger) (*Endpoint, error) {
	fd, err := strconv.Atoi(getenv(procenv.DriverListenFD))
	if err != nil || fd < 3 {
		return nil, fmt.Errorf("%s=%q is not an inherited file descriptor (the client-mode driver is started by gostream-submit)", procenv.DriverListenFD, getenv(procenv.DriverListenFD))
	}
	f := os.NewFile(uintptr(fd), "driver-endpoint")
	defer f.Close() // FileListener dups it
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", procenv.DriverListenFD, err)
	}
	secret := getenv(procenv.ExecutorSecret)
	if secret == "" {
		ln.Close()
		return nil, fmt.Errorf("%s is not set (the client-mode driver is started by gostream-submit)", procenv.ExecutorSecret)
	}
	return Listen(EndpointOptions{Listener: ln, Secret: secret, Timeout: timeout, Logger: log})
}

// Port is the port the endpoint listens on.
func (e *Endpoint) Port() int { return e.srv.ln.Addr().(*net.TCPAddr).Port }

// addr is the address the endpoint listens on.
func (e *Endpoint) addr() string { return e.srv.ln.Addr().String() }

// Executors lists the registered executors, by id.
func (e *Endpoint) Executors() []ExecutorInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]ExecutorInfo, 0, len(e.execs))
	for _, x := range e.execs {
		info := x.info
		info.ActiveTasks = len(x.tasks)
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Close stops accepting, disconnects every executor and waits for the
// endpoint's goroutines.
func (e *Endpoint) Close() error {
	err := e.srv.close()
	e.background.Wait() // the connections are closed: they end at once
	e.shuffle.close()
	return err
}

// serve runs one executor's connection: handshake, then requests both ways
// until it ends.
func (e *Endpoint) serve(c net.Conn) error {
	lc := newLineConn(c)
	hello, err := acceptHandshake(lc, e.secret, e.timeout, func(hello message) error {
		if hello.ExecutorID == "" {
			return errors.New("no executor id")
		}
		return e.refuseLost(hello.ExecutorID)
	})
	if err != nil {
		return err
	}
	now := time.Now()
	x := &executorConn{info: ExecutorInfo{ID: hello.ExecutorID, Host: hello.Host, Cores: hello.Cores, PID: hello.PID,
		Remote: c.RemoteAddr().String(), ShuffleAddr: hello.ShuffleAddr, MetricsAddr: hello.MetricsAddr, Registered: now, LastHeartbeat: now},
		peer: newPeer(lc, e.timeout), runs: map[int64]*receiverRun{}, tasks: map[int64]*taskRun{}}
	if hello.Launcher {
		// The client-mode AM watches the driver: it runs nothing here, and
		// hears of lost executors, which it replaces.
		e.log.Info("application master connected", "remote", x.info.Remote)
		e.setLauncher(x, true)
		defer e.setLauncher(x, false)
	} else {
		e.register(x)
		defer e.unregister(x)
		e.log.Info("executor registered", "executor", x.info.ID, "host", x.info.Host, "cores", x.info.Cores,
			"remote", x.info.Remote, "shuffle", x.info.ShuffleAddr)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var handlers sync.WaitGroup
	defer func() { cancel(); handlers.Wait() }()
	err = x.peer.read(func(m message) (message, error) { return e.handle(ctx, x, m) }, &handlers)
	if e.srv.isClosed() {
		return nil
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		err = fmt.Errorf("silent for %s (gostream.network.timeout): %w", e.timeout, err)
	}
	err = fmt.Errorf("executor %s lost: %w", x.info.ID, err)
	if !hello.Launcher {
		e.declareLost(x.info.ID, err)
	}
	return err
}

func (e *Endpoint) setLauncher(x *executorConn, on bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if on {
		e.launchers[x] = true
	} else {
		delete(e.launchers, x)
	}
}

// launcherConns are the client-mode AM's connections.
func (e *Endpoint) launcherConns() []*executorConn {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []*executorConn
	for x := range e.launchers {
		out = append(out, x)
	}
	return out
}

// declareLost records that executor id is lost, so that it may not come
// back with stale state (its tasks and receivers run elsewhere now), and
// tells whoever replaces it: OnLost, and the client-mode AM (in the
// background, best effort).
func (e *Endpoint) declareLost(id string, err error) {
	e.mu.Lock()
	e.lost[id] = time.Now()
	e.mu.Unlock()
	launchers := e.launcherConns()
	if e.onLost != nil {
		e.onLost(id, err)
	}
	for _, x := range launchers {
		e.background.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), e.timeout)
			defer cancel()
			if _, err := x.peer.request(ctx, message{Op: opExecutorLost, ExecutorID: id}); err != nil {
				e.log.Warn("could not tell the application master of a lost executor: YARN replaces it when its process ends", "executor", id, "err", err)
			}
		})
	}
}

// refuseLost refuses the hello of an executor declared lost.
func (e *Endpoint) refuseLost(id string) error {
	e.mu.Lock()
	at, lost := e.lost[id]
	e.mu.Unlock()
	if !lost {
		return nil
	}
	return fmt.Errorf("executor %s was declared lost at %s and may not rejoin: its tasks and receivers run elsewhere now (%w)",
		id, at.Format(time.RFC3339), ErrDeclaredLost)
}

func (e *Endpoint) register(x *executorConn) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.execs[x.info.ID] = x
	e.notify()
}

func (e *Endpoint) unregister(x *executorConn) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.execs[x.info.ID] == x {
		delete(e.execs, x.info.ID)
	}
	e.notify()
}

// notify wakes whoever waits for an executor (or a free core). e.mu is
// held.
func (e *Endpoint) notify() {
	close(e.changed)
	e.changed = make(chan struct{})
}

// await calls try under e.mu until it succeeds, waiting for the executors
// or their load to change between tries, or ctx ends; waiting is called
// once, when it first has to wait.
func (e *Endpoint) await(ctx context.Context, try func() bool, waiting func()) error {
	for first := true; ; first = false {
		e.mu.Lock()
		if try() {
			e.mu.Unlock()
			return nil
		}
		changed := e.changed
		e.mu.Unlock()
		if first {
			waiting()
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// handle answers one request of executor x; ctx ends with the connection.
func (e *Endpoint) handle(ctx context.Context, x *executorConn, m message) (message, error) {
	switch m.Op {
	case opHeartbeat:
		e.mu.Lock()
		x.info.LastHeartbeat = time.Now()
		e.mu.Unlock()
		return message{}, nil
	case opReadInput:
		return e.readInput(ctx, x, m)
	}
	e.mu.Lock()
	run := x.runs[m.Run]
	e.mu.Unlock()
	if run == nil {
		return message{}, fmt.Errorf("%s for receiver run %d, which this driver does not know", m.Op, m.Run)
	}
	return message{}, run.handle(ctx, m)
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
