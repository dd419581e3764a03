package am

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gostream/gostream/client"
	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/cluster"
	"github.com/gostream/gostream/internal/hadoopconf"
	"github.com/gostream/gostream/internal/yarn"
)

// DriverFunc runs the streaming driver with configuration c (a local master
// with gostream.driver.cores slots) until it stops by itself (nil), fails,
// or ctx ends; l must receive the context's events, and receivers and map
// tasks must run through execs (on the executors); the driver's context must
// be made with opts (they name the application attempt it runs as).
type DriverFunc func(ctx context.Context, c *conf.Conf, l engine.Listener, execs Executors, opts ...engine.Option) error

// Executors is where the driver runs receivers and shuffle map tasks: the
// AM's executor endpoint.
type Executors interface {
	cluster.ReceiverHost
	cluster.TaskHost
}

// Config is what Run needs. Only Driver is required; the other fields are
// seams for tests.
type Config struct {
	Driver DriverFunc
	// Batch is the driver's batch duration, for the status page.
	Batch time.Duration
	// Args are the application's arguments, given to executors too
	// (default os.Args[1:]).
	Args []string
	// Getenv and Environ read the environment (defaults: the process's).
	Getenv  func(string) string
	Environ []string
	Logger  *slog.Logger
	// Signals end the attempt without unregistering (default: SIGTERM and
	// SIGINT).
	Signals <-chan os.Signal
	// Scheduler and Launcher replace the RM scheduler client and the
	// NodeManager launcher.
	Scheduler Scheduler
	Launcher  Launcher
	// RemoveStaging removes the staging directory (nil: through HDFS,
	// waiting out transient faults for gostream.hadoop.storageRetryTimeout).
	RemoveStaging func(ctx context.Context, dir string) error
	// Attempts lists the application's attempts as the RM reports them
	// (default: a ResourceManager client of the container's site files).
	Attempts func(ctx context.Context, app yarn.ApplicationID) ([]client.AttemptReport, error)
	// CallTimeout bounds each RM and NodeManager call (default 30 s).
	CallTimeout time.Duration
}

// ExitError ends the AM process with Code; the attempt did not unregister
// (YARN retries it) unless Unregistered.
type ExitError struct {
	Code         int
	Unregistered bool
	Err          error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// ErrUnrecoverable marks failures a new attempt would repeat: the AM
// unregisters FAILED at once.
var ErrUnrecoverable = errors.New("unrecoverable")

// Run runs the application master until the application ends or this
// attempt must give way to the next; see the package doc for how it ends.
// Each step is a method of attempt, in this order; what a step starts is
// stopped, in reverse order, when Run returns.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Driver == nil {
		return errors.New("am: no driver")
	}
	cfg, stopSignals := cfg.withDefaults()
	defer stopSignals()
	a, err := newAttempt(cfg)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	if a.sched, err = a.scheduler(); err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	defer a.sched.Close()
	a.alloc = a.newAllocator()
	// The driver's endpoint tells the allocator of executors it declares
	// lost, which it replaces.
	if a.ds, err = newDriverSide(cfg.Getenv, a.env.NMHost, a.conf, a.log, a.alloc.lost); err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	defer a.ds.close()
	st, err := a.startStatusPage()
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	defer st.Close()
	maxRes, err := a.register(ctx)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	if err := a.executorsFit(maxRes); err != nil {
		return a.end(fatal(err))
	}
	a.alloc.launcher = a.launcher()
	defer a.alloc.launcher.Close()
	driverErr, allocErr, signaled := a.run(ctx)
	return a.end(decide(driverErr, allocErr, signaled, a.env.Attempt, a.maxAttempts, a.lastAttempt))
}

// withDefaults fills in what Config leaves to Run. stop ends the signal
// subscription it makes when Signals is nil.
func (cfg Config) withDefaults() (_ Config, stop func()) {
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	if cfg.Environ == nil {
		cfg.Environ = os.Environ()
	}
	if cfg.Args == nil {
		cfg.Args = os.Args[1:]
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 30 * time.Second
	}
	if cfg.Attempts == nil {
		cfg.Attempts = rmAttempts(cfg.Getenv)
	}
	stop = func() {}
	if cfg.Signals == nil {
		ch := make(chan os.Signal, 2)
		signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
		cfg.Signals = ch
		stop = func() { signal.Stop(ch) }
	}
	return cfg, stop
}

// mib converts bytes to MiB, rounding up.
func mib(b int64) int64 { return (b + 1<<20 - 1) >> 20 }

// overheadMB is the container memory added to a process's memory: the
// configured overhead, else max(384 MiB, 10%), as Spark computes it.
func overheadMB(memory, configured int64) int64 {
	if configured > 0 {
		return mib(configured)
	}
	return max(384, mib(memory)/10)
}

// ContainerMemoryMB is the YARN container size of a process of memory bytes
// with the configured overhead (0: max(384 MiB, 10%)).
func ContainerMemoryMB(memory, overhead int64) int64 {
	return mib(memory) + overheadMB(memory, overhead)
}

// rmAttempts asks the ResourceManager of the container's site files, as the
// application's user, through a connection of its own: the AM asks this
// once, when an attempt fails at or beyond the maximum.
func rmAttempts(getenv func(string) string) func(context.Context, yarn.ApplicationID) ([]client.AttemptReport, error) {
	return func(ctx context.Context, app yarn.ApplicationID) ([]client.AttemptReport, error) {
		rm, err := connectRM(ctx, getenv)
		if err != nil {
			return nil, err
		}
		defer rm.Close()
		return rm.ApplicationAttempts(ctx, app)
	}
}

// connectRM connects to the ResourceManager of the container's site files.
func connectRM(ctx context.Context, getenv func(string) string) (*client.Client, error) {
	hc, err := hadoopconf.LoadEnv(getenv)
	if err != nil {
		return nil, err
	}
	return client.New(ctx, hc)
}

// RMApplicationEnded asks the ResourceManager of the site files getenv
// names (HADOOP_CONF_DIR), as rmAttempts does, whether the application
// holding the checkpoint directory's lease has ended
// (engine.WithApplicationEnded): a driver, in the AM or local, asks this
// once, when it finds the lease held by an application.
func RMApplicationEnded(getenv func(string) string) engine.ApplicationEnded {
	return func(ctx context.Context, app string) (bool, error) {
		id, err := yarn.ParseApplicationID(app)
		if err != nil {
			return false, err
		}
		rm, err := connectRM(ctx, getenv)
		if err != nil {
			return false, err
		}
		defer rm.Close()
		r, err := rm.ApplicationReport(ctx, id)
		if err != nil {
			return false, err
		}
		return r.State.Terminal(), nil
	}
}
