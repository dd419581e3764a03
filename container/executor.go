package container

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gostream/gostream/engine/cluster"
	"github.com/gostream/gostream/engine/rdd"
	"github.com/gostream/gostream/engine/task"
	"github.com/gostream/gostream/internal/procenv"
)

// ExecutorConfig is what an executor process needs; ExecutorConfigFromEnv
// reads it from the environment its launch context set.
type ExecutorConfig struct {
	DriverAddress string
	Secret        string
	ID            string
	Cores         int
	// Heartbeat is the interval between heartbeats
	// (gostream.executor.heartbeatInterval); Timeout bounds every exchange
	// (gostream.network.timeout).
	Heartbeat, Timeout time.Duration
	Logger             *slog.Logger
	// ServeReceiver runs the receivers the driver places here; nil refuses
	// them.
	ServeReceiver ServeReceiverFunc
	// Tasks, called once with the executor's reader of map outputs (its
	// own are read from its store, others' from their executors), runs the
	// tasks the driver sends (the application's
	// cluster.Executor.TaskRunner). nil: the executor serves no map outputs
	// and refuses tasks, and the driver sends it none.
	Tasks func(shuffle rdd.ShuffleReader) cluster.TaskRunner
	// MetricsPort, when not 0, is the port this executor serves its
	// Prometheus metrics on: the driver learns it, at the address the
	// driver reached it by, for the status page's JSON.
	MetricsPort int
	// OnTaskEnded, when set, hears how each task the driver sent here
	// ended (the executor's metrics).
	OnTaskEnded func(state task.State, kind task.Kind)
	// Launcher connects as the client-mode application master, which only
	// watches the driver: it is not an executor and runs nothing.
	Launcher bool
	// OnRegistered, when set, is called once the driver has accepted the
	// connection.
	OnRegistered func()
	// OnExecutorLost, for the Launcher, is called with the id of each
	// executor the driver declares lost.
	OnExecutorLost func(id string)
	// OnDriverEnded, for the Launcher, is called with how the driver ended
	// when it says so, before it closes the connection.
	OnDriverEnded func(DriverEnd)
}

// ExecutorConfigFromEnv reads the executor's environment. secret is the
// application secret, which a container's credentials hold, never its
// environment (the AM's ContainerSecret).
func ExecutorConfigFromEnv(getenv func(string) string, secret string) (ExecutorConfig, error) {
	c := ExecutorConfig{DriverAddress: getenv(procenv.DriverAddress), Secret: secret, ID: getenv(procenv.ExecutorID)}
	var missing []string
	for name, v := range map[string]string{procenv.DriverAddress: c.DriverAddress, "the application secret": c.Secret, procenv.ExecutorID: c.ID} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		return c, fmt.Errorf("executor: %v not set: executors are started by the YARN application master, not by hand", missing)
	}
	c.Cores, _ = strconv.Atoi(getenv(procenv.ExecutorCores))
	return c, nil
}

// ErrDriverGone: the driver closed the connection or stopped answering.
var ErrDriverGone = errors.New("the driver is gone")

// RunExecutor runs an executor: it connects to the driver, proves the
// secret, registers and heartbeats until the driver goes away (it then
// returns an error wrapping ErrDriverGone) or ctx ends (nil). A driver that
// refuses it returns an error wrapping ErrAuth or, when the driver declared
// this executor lost, ErrDeclaredLost.
func RunExecutor(ctx context.Context, c ExecutorConfig) error {
	if c.Heartbeat <= 0 {
		c.Heartbeat = 10 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 2 * time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	dctx, cancel := context.WithTimeout(ctx, c.Timeout)
	conn, err := (&net.Dialer{}).DialContext(dctx, "tcp", c.DriverAddress)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("executor %s: connect to the driver at %s: %w (%w)", c.ID, c.DriverAddress, err, ErrDriverGone)
	}
	// The connection ends when ctx does.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()

	tasks := &executorTasks{id: c.ID, store: newShuffleStore(c.ID), log: c.Logger, running: map[int64]context.CancelFunc{}, ended: c.OnTaskEnded}
	host, _ := os.Hostname()
	hello := message{ExecutorID: c.ID, Host: host, Cores: c.Cores, PID: os.Getpid(), Launcher: c.Launcher}
	if c.MetricsPort != 0 {
		// Where the driver reached this executor, so can a scraper.
		hello.MetricsAddr = net.JoinHostPort(conn.LocalAddr().(*net.TCPAddr).IP.String(), strconv.Itoa(c.MetricsPort))
	}
	if c.Tasks != nil && !c.Launcher {
		// Where the driver reached this executor, the others can too.
		srv, err := startShuffleServer(conn.LocalAddr().(*net.TCPAddr), tasks.store, c.Secret, c.Timeout, c.Logger)
		if err != nil {
			return fmt.Errorf("executor %s: %w", c.ID, err)
		}
		defer srv.close()
		shuffle := newShuffleClient(c.Secret, c.ID, c.Timeout, srv)
		defer shuffle.close() // before the server: reads of its own outputs are done
		tasks.runner = c.Tasks(shuffle)
		hello.ShuffleAddr = srv.addr
	}
	lc := newLineConn(conn)
	if err := dialHandshake(lc, c.Secret, c.Timeout, hello); err != nil {
		if errors.Is(err, ErrAuth) || errors.Is(err, ErrDeclaredLost) {
			return fmt.Errorf("executor %s registering with the driver: %w", c.ID, err)
		}
		return c.ended(ctx, "registration", err)
	}
	c.Logger.Info("executor registered with the driver", "executor", c.ID, "driver", c.DriverAddress, "shuffle", hello.ShuffleAddr)
	if c.OnRegistered != nil {
		c.OnRegistered()
	}

	p := newPeer(lc, c.Timeout)
	connCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	recv := &executorReceivers{peer: p, serve: c.ServeReceiver, ctx: connCtx, runs: map[int64]context.CancelFunc{}}
	tasks.peer, tasks.ctx = p, connCtx
	hbDone := make(chan error, 1)
	go func() { hbDone <- c.heartbeat(connCtx, p, conn) }()
	var handlers sync.WaitGroup
	err = p.read(executorHandler(recv, tasks, c), &handlers)
	cancel()
	recv.wg.Wait()
	handlers.Wait()
	if hbErr := <-hbDone; hbErr != nil {
		err = hbErr
	}
	return c.ended(ctx, "connection", err)
}

// executorHandler routes the driver's requests; the launcher's hooks in c
// hear of lost executors and of the driver's end.
func executorHandler(recv *executorReceivers, tasks *executorTasks, c ExecutorConfig) handler {
	return func(m message) (message, error) {
		switch m.Op {
		case opExecutorLost:
			if c.OnExecutorLost == nil {
				return message{}, fmt.Errorf("%s sent to an executor, not the application master", m.Op)
			}
			c.OnExecutorLost(m.ExecutorID)
			return message{}, nil
		case opDriverEnded:
			if c.OnDriverEnded == nil || m.End == nil {
				return message{}, fmt.Errorf("%s sent to an executor, not the application master, or without how it ended", m.Op)
			}
			c.OnDriverEnded(*m.End)
			return message{}, nil
		case opRunReceiver:
			return recv.start(m)
		case opStopReceiver:
			return recv.stop(m)
		case opRunTask:
			return tasks.run(m)
		case opForgetShuffles:
			return tasks.forget(m)
		case opCancelTask:
			return tasks.cancel(m)
		}
		return message{}, fmt.Errorf("unknown request %q", m.Op)
	}
}

// heartbeat sends a heartbeat every interval until ctx ends; a heartbeat
// without an answer closes the connection.
func (c ExecutorConfig) heartbeat(ctx context.Context, p *peer, conn net.Conn) error {
	t := time.NewTicker(c.Heartbeat)
	defer t.Stop()
	for n := int64(1); ; n++ {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if _, err := p.request(ctx, message{Op: opHeartbeat, Heartbeat: n}); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			conn.Close()
			return fmt.Errorf("heartbeat: %w", err)
		}
	}
}

func (c ExecutorConfig) ended(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("executor %s: %s with the driver at %s: %w (%w)", c.ID, what, c.DriverAddress, err, ErrDriverGone)
}
