package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/hdfsstore"
	"github.com/gostream/gostream/internal/procenv"
)

// Setup builds an application's DStream graph on a new context. Every
// process of the application runs the same Setup, so every process builds
// the same graph.
type Setup func(ssc *Context) error

// Main is a streaming application's main function: it reads the role and
// the configuration from the environment, runs setup, and runs the role
// until the application stops, then exits the process (non-zero on failure).
//
//	func main() {
//		engine.Main(time.Second, func(ssc *engine.Context) error {
//			lines := engine.SocketTextStream(ssc, "localhost:9999")
//			…
//			return nil
//		})
//	}
func Main(batch time.Duration, setup Setup) {
	if err := Run(context.Background(), batch, setup); err != nil {
		fmt.Fprintln(os.Stderr, "gostream:", err)
		os.Exit(1)
	}
}

// Run is Main without the exit: it returns when the application stops or
// ctx ends.
func Run(ctx context.Context, batch time.Duration, setup Setup, opts ...Option) error {
	role := os.Getenv(procenv.Role)
	switch role {
	case "", procenv.RoleDriver:
	case procenv.RoleAM, procenv.RoleExecutor:
		return fmt.Errorf("%s=%s: engine.Main runs the driver with a local master only: build the application with gostream.Main (package github.com/gostream/gostream) to run it on YARN", procenv.Role, role)
	default:
		return fmt.Errorf("%s=%q is not a role: use %s, %s or %s", procenv.Role, role, procenv.RoleDriver, procenv.RoleAM, procenv.RoleExecutor)
	}
	// Under gostream-submit (a role is set) the environment already holds the
	// resolved configuration, properties file included: do not read it again.
	c, err := conf.Load(conf.Sources{Environ: os.Environ(), NoDefaultPropertiesFile: role != ""})
	if err != nil {
		return err
	}
	return RunConf(ctx, c, batch, setup, append([]Option{WithLogger(slog.Default())}, opts...)...)
}

// RunConf runs the driver with a resolved configuration c (a local master):
// it makes the context with opts, runs setup, continues from the checkpoint
// directory's checkpoint when there is one, and returns when the application
// stops or ctx ends. The YARN application master runs its in-process driver
// through it.
func RunConf(ctx context.Context, c *conf.Conf, batch time.Duration, setup Setup, opts ...Option) error {
	ssc, err := NewContext(c, batch, opts...)
	if err != nil {
		return err
	}
	defer ssc.Stop(false) // a context that never started still closes its file systems
	if err := setup(ssc); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	// With a checkpoint directory (gostream.streaming.checkpoint.directory, or
	// set by setup with Checkpoint) the driver continues from its checkpoint:
	// Spark's getOrCreate, which a restarted driver or YARN attempt needs.
	if ssc.CheckpointDir() != "" {
		if err := ssc.recoverCheckpoint(ctx); err != nil {
			return err
		}
	}
	return runDriver(ctx, ssc)
}

// WithOnSignal calls f with the signal (SIGINT, SIGTERM) that stops a
// driver run by RunConf, before it stops: a driver stopped that way did not
// end by itself, which the client-mode driver tells the application master.
func WithOnSignal(f func(os.Signal)) Option { return func(s *Context) { s.onSignal = f } }

// runDriver starts ssc and waits for it to stop: by itself, by ctx, or by
// SIGINT/SIGTERM (gracefully when gostream.streaming.stopGracefullyOnShutdown).
func runDriver(ctx context.Context, ssc *Context) error {
	var markerFS hdfsstore.FS
	var marker string
	if ssc.settings.stopMarker != "" {
		var err error
		if markerFS, marker, err = ssc.createStopMarker(ctx); err != nil {
			return err
		}
	}
	if err := ssc.Start(); err != nil {
		return err
	}
	if markerFS != nil {
		wctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			ssc.watchStopMarker(wctx, markerFS, marker)
		}()
		defer func() { cancel(); <-done }()
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	select {
	case <-ssc.done:
	case sig := <-sigs:
		graceful := ssc.settings.stopOnShutdown
		ssc.log.Info("signal received: stopping", "signal", sig, "graceful", graceful)
		if ssc.onSignal != nil {
			ssc.onSignal(sig)
		}
		ssc.Stop(graceful)
	case <-ctx.Done():
		ssc.Stop(false)
	}
	err := ssc.AwaitTermination(context.Background())
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
