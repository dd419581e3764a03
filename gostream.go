package gostream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gostream/gostream/am"
	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/container"
	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/internal/procenv"
)

// Main is a streaming application's main function: it runs the role named by
// GOSTREAM_ROLE until the application stops, then exits the process
// (non-zero on failure). Every role runs setup's graph: the driver (local or
// in the YARN application master) runs it; executors rebuild it to run
// receivers and shuffle map tasks. opts apply to every context a role makes
// (e.g. engine.WithConfDefault, the application's own defaults).
func Main(batch time.Duration, setup engine.Setup, opts ...engine.Option) {
	os.Exit(run(context.Background(), batch, setup, opts))
}

// run runs the role and returns the process's exit status.
func run(ctx context.Context, batch time.Duration, setup engine.Setup, opts []engine.Option) int {
	switch role := os.Getenv(procenv.Role); role {
	case "", procenv.RoleDriver:
		run := runLocalDriver
		if os.Getenv(procenv.DriverListenFD) != "" {
			run = runClientDriver // gostream-submit --master yarn --deploy-mode client
		}
		// A YARN application killed while it held the checkpoint directory
		// never releases it: ask the cluster of HADOOP_CONF_DIR, if any,
		// instead of waiting for its lease to expire.
		opts = append([]engine.Option{engine.WithApplicationEnded(am.RMApplicationEnded(os.Getenv))}, opts...)
		if err := run(ctx, batch, setup, opts...); err != nil {
			fmt.Fprintln(os.Stderr, "gostream:", err)
			return exitCode(err)
		}
		return 0
	case procenv.RoleAM:
		err := am.Run(ctx, am.Config{Driver: driver(batch, setup, opts), Batch: batch})
		if err == nil {
			return 0
		}
		fmt.Fprintln(os.Stderr, "gostream application master:", err)
		var ee *am.ExitError
		if errors.As(err, &ee) && ee.Code != 0 {
			return ee.Code
		}
		return 1
	case procenv.RoleExecutor:
		if err := runExecutor(ctx, batch, setup, opts); err != nil {
			fmt.Fprintln(os.Stderr, "gostream executor:", err)
			return 1
		}
		return 0
	default:
		fmt.Fprintf(os.Stderr, "gostream: %s=%q is not a role: use %s, %s or %s\n", procenv.Role, role, procenv.RoleDriver, procenv.RoleAM, procenv.RoleExecutor)
		return 2
	}
}

// driver runs the application's driver inside the application master, its
// receivers and shuffle map tasks on the executors.
func driver(batch time.Duration, setup engine.Setup, appOpts []engine.Option) am.DriverFunc {
	return func(ctx context.Context, c *conf.Conf, l engine.Listener, execs am.Executors, opts ...engine.Option) error {
		return engine.RunConf(ctx, c, batch, func(ssc *engine.Context) error {
			ssc.AddListener(l)
			return setup(ssc)
		}, slices.Concat([]engine.Option{engine.WithLogger(slog.Default()), engine.WithReceiverHost(execs), engine.WithTaskHost(execs)}, appOpts, opts)...)
	}
}

// runLocalDriver runs the driver with a local master, as engine.Run does,
// serving its status page and metrics.
func runLocalDriver(ctx context.Context, batch time.Duration, setup engine.Setup, opts ...engine.Option) error {
	c, err := driverConf()
	if err != nil {
		return err
	}
	u, err := startDriverUI(c, batch, nil)
	if err != nil {
		return err
	}
	defer u.close()
	return engine.RunConf(ctx, c, batch, setup, slices.Concat([]engine.Option{engine.WithLogger(slog.Default())}, u.opts, opts)...)
}

// runExecutor runs a YARN executor until its driver goes away or a signal
// arrives. It runs the receivers and map tasks the driver places on it,
// rebuilt by setup as in the driver.
func runExecutor(ctx context.Context, batch time.Duration, setup engine.Setup, opts []engine.Option) error {
	c, err := conf.Load(conf.Sources{Environ: os.Environ(), NoDefaultPropertiesFile: true})
	if err != nil {
		return err
	}
	secret, err := am.ContainerSecret(os.Getenv)
	if err != nil {
		return err
	}
	ec, err := container.ExecutorConfigFromEnv(os.Getenv, secret)
	if err != nil {
		return err
	}
	ec.Heartbeat, ec.Timeout = c.Duration(conf.ExecutorHeartbeatInterval), c.Duration(conf.NetworkTimeout)
	msrv, err := serveExecutorMetrics(&ec)
	if err != nil {
		return err
	}
	defer msrv.Close()
	// The graphs rebuilt here share one set of HDFS connections.
	files := engine.StorageResolver(c, slog.Default())
	defer files.Close()
	x := engine.NewExecutor(c, batch, setup, append([]engine.Option{engine.WithResolver(files)}, opts...)...)
	ec.ServeReceiver, ec.Tasks = x.ServeReceiver, x.TaskRunner
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return container.RunExecutor(ctx, ec)
}

// runClientDriver runs the driver of --deploy-mode client here, with its
// receivers and map tasks on the YARN executors that the application master (submitted by
// gostream-submit) launches: they connect to the endpoint on the listening
// socket gostream-submit passed down.
func runClientDriver(ctx context.Context, batch time.Duration, setup engine.Setup, opts ...engine.Option) error {
	c, err := conf.Load(conf.Sources{Environ: os.Environ(), NoDefaultPropertiesFile: true})
	if err != nil {
		return err
	}
	ep, err := container.ListenFromEnv(os.Getenv, c.Duration(conf.NetworkTimeout), slog.Default())
	if err != nil {
		return err
	}
	defer ep.Close()
	u, err := startDriverUI(c, batch, ep)
	if err != nil {
		return err
	}
	defer u.close()
	dconf := c.Clone()
	if err := dconf.Set(conf.Master, fmt.Sprintf("local[%d]", c.Int(conf.DriverCores))); err != nil {
		return err
	}
	var stoppedBy atomic.Value // the os.Signal that stopped the driver, if one did
	err = engine.RunConf(ctx, dconf, batch, setup, slices.Concat([]engine.Option{engine.WithLogger(slog.Default()),
		engine.WithReceiverHost(ep), engine.WithTaskHost(ep), engine.WithOnSignal(func(sig os.Signal) { stoppedBy.Store(sig) })}, u.opts, opts)...)
	sig, _ := stoppedBy.Load().(os.Signal)
	// The application master ends the application as the driver did; a
	// driver that cannot tell it leaves a link that ends without a word,
	// which the AM does not call a success either.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.Duration(conf.NetworkTimeout))
	defer cancel()
	if rerr := ep.ReportEnd(rctx, am.ClientDriverEnd(err, sig)); rerr != nil {
		slog.Warn("could not tell the application master how the driver ended: unless the application has ended already, it ends FAILED", "err", rerr)
	}
	if err == nil && sig != nil {
		return &stoppedBySignal{sig: sig}
	}
	return err
}

// stoppedBySignal: the client-mode driver stopped because of sig, which
// ends its YARN application KILLED; its process exits 128+sig, as the
// shell reports a process a signal killed.
type stoppedBySignal struct{ sig os.Signal }

func (e *stoppedBySignal) Error() string {
	return fmt.Sprintf("stopped by a signal (%s): the YARN application ends KILLED", e.sig)
}

// exitCode is the driver's exit status when it ends with err.
func exitCode(err error) int {
	if s, ok := errors.AsType[*stoppedBySignal](err); ok {
		if n, ok := s.sig.(syscall.Signal); ok {
			return 128 + int(n)
		}
	}
	return 1
}
