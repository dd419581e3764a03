package am

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/hdfsstore"
	"github.com/gostream/gostream/internal/hadoop/token"
	"github.com/gostream/gostream/internal/hadoopconf"
	"github.com/gostream/gostream/internal/yarn"
)

// DriverFunc runs the streaming driver with configuration c (a local master
// with gostream.driver.cores slots) until it stops by itself (nil), fails,
// or ctx ends; l must receive the context's events, and receivers and map
// tasks must run through execs (on the executors).
type DriverFunc func(ctx context.Context, c *conf.Conf, l engine.Listener, execs Executors) error

// Executors is where the driver runs receivers and shuffle map tasks: the
// AM's executor endpoint.
type Executors interface {
	engine.ReceiverHost
	engine.TaskHost
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
	// RemoveStaging removes the staging directory (default: through
	// hdfsstore).
	RemoveStaging func(ctx context.Context, dir string) error
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
func Run(ctx context.Context, cfg Config) error {
	if cfg.Driver == nil {
		return errors.New("am: no driver")
	}
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
	if cfg.RemoveStaging == nil {
		cfg.RemoveStaging = removeStaging
	}
	if cfg.Signals == nil {
		ch := make(chan os.Signal, 2)
		signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
		defer signal.Stop(ch)
		cfg.Signals = ch
	}
	log := cfg.Logger

	env, err := ReadEnv(cfg.Getenv)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	c, err := conf.Load(conf.Sources{Environ: cfg.Environ, NoDefaultPropertiesFile: true})
	if err != nil {
		return &ExitError{Code: 1, Err: fmt.Errorf("application master configuration: %w", err)}
	}
	maxAttempts := env.MaxAppAttempts
	if maxAttempts == 0 {
		maxAttempts = max(c.Int(conf.YarnMaxAppAttempts), 1)
	}
	log = log.With("app", env.ContainerID.Attempt.App.String(), "attempt", env.Attempt)
	log.Info("application master starting", "container", env.ContainerID, "max_attempts", maxAttempts, "node", env.NMHost)

	sched := cfg.Scheduler
	if sched == nil {
		if sched, err = dialScheduler(cfg.CallTimeout); err != nil {
			return &ExitError{Code: 1, Err: err}
		}
	}
	defer sched.Close()

	// The executors' driver: in this process (cluster mode), or in the
	// submitter's process (client mode: this AM only launches executors).
	ds, err := newDriverSide(cfg.Getenv, env.NMHost, c, log)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	defer ds.close()
	ep := ds.ep

	execRes := yarn.Resource{MemoryMB: ContainerMemoryMB(c.Size(conf.ExecutorMemory), c.Size(conf.ExecutorMemoryOverhead)),
		VCores: int32(c.Int(conf.ExecutorCores))}
	alloc := &allocator{
		sched: sched, log: log, now: time.Now,
		target: c.Int(conf.ExecutorInstances), resource: execRes,
		maxFailures: maxExecutorFailures(c.Int(conf.ExecutorMaxNumFailures), c.Int(conf.ExecutorInstances)),
		failures:    failureTracker{validity: c.Duration(conf.ExecutorFailuresValidityInterval)},
		heartbeat:   c.Duration(conf.YarnSchedulerHeartbeatInterval), initial: c.Duration(conf.YarnSchedulerInitialAllocationInterval),
		callTimeout: cfg.CallTimeout,
		released:    map[yarn.ContainerID]bool{}, running: map[yarn.ContainerID]*Executor{},
	}
	batches := newBatchListener()
	started := time.Now()
	st, err := serveStatus(":0", func() Status {
		execs, failed := alloc.snapshot()
		st := Status{Application: env.ContainerID.Attempt.App.String(), Name: c.String(conf.AppName), Attempt: env.Attempt,
			MaxAttempts: maxAttempts, Started: started, Executors: execs, ExecutorFailures: failed,
			BatchDuration: cfg.Batch, GracefulStopTimeout: engine.GracefulStopTimeout(c, cfg.Batch), StopMarker: c.String(conf.StopMarker)}
		if ep != nil {
			st.Registered, st.ReceiverPlacements = ep.Executors(), ep.Receivers()
		}
		batches.snapshot(&st)
		return st
	})
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	defer st.close()
	trackingURL := "http://" + net.JoinHostPort(env.NMHost, strconv.Itoa(st.port())) + "/"

	rctx, cancel := context.WithTimeout(ctx, cfg.CallTimeout)
	reg, err := sched.Register(rctx, env.NMHost, int32(ds.rpcPort), trackingURL)
	cancel()
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	log.Info("registered with the ResourceManager", "tracking_url", trackingURL, "queue", reg.GetQueue())

	finish := func(status yarn.FinalStatus, diag string) error {
		fctx, cancel := context.WithTimeout(context.Background(), 2*cfg.CallTimeout)
		defer cancel()
		err := sched.Finish(fctx, status, diag, trackingURL)
		if err != nil {
			return err
		}
		log.Info("unregistered", "status", status, "diagnostics", diag)
		if c.Bool(conf.YarnPreserveStagingFiles) || env.StagingDir == "" {
			return nil
		}
		if err := cfg.RemoveStaging(fctx, env.StagingDir); err != nil {
			log.Warn("could not remove the staging directory", "dir", env.StagingDir, "err", err)
		}
		return nil
	}
	if maxRes := yarn.ResourceFromProto(reg.GetMaximumCapability()); maxRes.MemoryMB > 0 && (execRes.MemoryMB > maxRes.MemoryMB || execRes.VCores > maxRes.VCores) {
		err := fmt.Errorf("executors need %v (gostream.executor.memory + memoryOverhead, gostream.executor.cores), above the cluster's largest container %v: lower them, or raise yarn.scheduler.maximum-allocation-mb/-vcores", execRes, maxRes)
		if ferr := finish(yarn.FinalFailed, err.Error()); ferr != nil {
			return &ExitError{Code: 1, Err: errors.Join(err, ferr)}
		}
		return &ExitError{Code: 1, Unregistered: true, Err: err}
	}

	launcher := cfg.Launcher
	if launcher == nil {
		launcher = newNMLauncher(executorSpec{
			App: env.App, Args: cfg.Args, Resources: env.Resources, Env: executorEnv(c, cfg.Getenv),
			DriverAddress: ds.addr, Secret: ds.secret, Cores: c.Int(conf.ExecutorCores),
		})
	}
	defer launcher.Close()
	alloc.launcher = launcher

	actx, acancel := context.WithCancel(ctx)
	defer acancel()
	allocDone := make(chan error, 1)
	go func() { allocDone <- alloc.run(actx) }()

	dconf := c.Clone()
	_ = dconf.Set(conf.Master, fmt.Sprintf("local[%d]", c.Int(conf.DriverCores)))
	_ = dconf.Set(conf.DeployMode, conf.DeployModeClient)
	dctx, dcancel := context.WithCancel(ctx)
	defer dcancel()
	driverDone := make(chan error, 1)
	go func() {
		if ep == nil {
			driverDone <- watchClientDriver(dctx, ds, c, log)
			return
		}
		driverDone <- cfg.Driver(dctx, dconf, batches, ep)
	}()

	var driverErr, allocErr error
	signaled := false
	allocEnded := false
	select {
	case driverErr = <-driverDone:
		select { // a signal that stopped the driver
		case <-cfg.Signals:
			signaled = true
		default:
		}
	case allocErr = <-allocDone:
		allocEnded = true
		dcancel()
		driverErr = <-driverDone
	case sig := <-cfg.Signals:
		signaled = true
		log.Info("signal received: ending this attempt without unregistering", "signal", sig)
		select { // the driver handles the signal itself (engine.RunConf)
		case driverErr = <-driverDone:
		case <-time.After(10 * time.Second):
			dcancel()
			driverErr = <-driverDone
		}
	case <-ctx.Done():
		signaled = true
		dcancel()
		driverErr = <-driverDone
	}
	acancel()
	if !allocEnded {
		if err := <-allocDone; allocErr == nil {
			allocErr = err
		}
	}
	ds.close()

	o := decide(driverErr, allocErr, signaled, env.Attempt, maxAttempts)
	if !o.unregister {
		log.Warn("attempt ends without unregistering: YARN decides whether another attempt runs", "err", o.err)
		return &ExitError{Code: o.code, Err: o.err}
	}
	if err := finish(o.status, o.diag); err != nil {
		return &ExitError{Code: 1, Err: errors.Join(o.err, err)}
	}
	if o.err == nil {
		return nil
	}
	return &ExitError{Code: o.code, Unregistered: true, Err: o.err}
}

// outcome is how an attempt ends.
type outcome struct {
	unregister bool
	status     yarn.FinalStatus
	diag       string
	code       int
	err        error
}

// decide applies the rules of the package doc.
func decide(driverErr, allocErr error, signaled bool, attempt, maxAttempts int) outcome {
	switch {
	case signaled:
		return outcome{code: 143, err: fmt.Errorf("attempt %d stopped by a signal (killed by YARN or the user)", attempt)}
	case allocErr != nil && (errors.Is(allocErr, ErrTooManyExecutorFailures) || errors.Is(allocErr, ErrUnrecoverable)):
		diag := fmt.Sprintf("attempt %d of %d: %v", attempt, maxAttempts, allocErr)
		return outcome{unregister: true, status: yarn.FinalFailed, diag: diag, code: 1, err: errors.New(diag)}
	case allocErr != nil:
		return outcome{code: 1, err: fmt.Errorf("attempt %d: %w", attempt, allocErr)}
	case driverErr == nil:
		return outcome{unregister: true, status: yarn.FinalSucceeded, diag: "the streaming context stopped"}
	}
	var graph *engine.GraphChangedError
	var confErr *conf.Error
	unrecoverable := errors.As(driverErr, &graph) || errors.As(driverErr, &confErr) || errors.Is(driverErr, ErrUnrecoverable)
	if unrecoverable || attempt >= maxAttempts {
		why := "last attempt"
		if unrecoverable {
			why = "a new attempt would fail the same way"
		}
		diag := fmt.Sprintf("attempt %d of %d failed (%s): the driver: %v", attempt, maxAttempts, why, driverErr)
		return outcome{unregister: true, status: yarn.FinalFailed, diag: diag, code: 1, err: errors.New(diag)}
	}
	return outcome{code: 1, err: fmt.Errorf("attempt %d of %d failed, YARN will start the next: the driver: %w", attempt, maxAttempts, driverErr)}
}

// dialScheduler reads the AMRMToken and the RM's scheduler address.
func dialScheduler(callTimeout time.Duration) (Scheduler, error) {
	creds, err := token.ReadFromEnv()
	if err != nil {
		return nil, err
	}
	amrm, ok := creds.ByKind(token.KindAMRM)
	if !ok {
		return nil, fmt.Errorf("no %s among the container's tokens: is this a YARN AM container?", token.KindAMRM)
	}
	hc, err := hadoopconf.LoadFromEnv()
	if err != nil {
		return nil, fmt.Errorf("the RM scheduler address: %w", err)
	}
	addrs, err := hc.RMSchedulerAddresses()
	if err != nil {
		return nil, fmt.Errorf("the RM scheduler address: %w", err)
	}
	return DialScheduler(addrs, amrm, callTimeout)
}

// executorEnv is the environment every executor gets: the configuration,
// gostream.executorEnv.*, and the Hadoop user and configuration.
func executorEnv(c *conf.Conf, getenv func(string) string) map[string]string {
	env := map[string]string{}
	for _, kv := range c.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	for k, v := range c.StringMap(conf.ExecutorEnv) {
		env[k] = v
	}
	for _, k := range []string{"HADOOP_USER_NAME"} {
		if v := getenv(k); v != "" {
			env[k] = v
		}
	}
	env["HADOOP_CONF_DIR"] = "$PWD" // the Hadoop site files ship as local resources
	return env
}

func removeStaging(ctx context.Context, dir string) error {
	fsys, p, err := hdfsstore.ForPath(ctx, dir)
	if err != nil {
		return err
	}
	return fsys.RemoveAll(ctx, p)
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
