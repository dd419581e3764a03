package am

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/internal/hadoopconf"
	"github.com/gostream/gostream/internal/yarn"
	"github.com/gostream/gostream/metrics"
	"github.com/gostream/gostream/ui"
)

// attempt is one run of the application master: what Run's steps share.
type attempt struct {
	cfg         Config
	env         *Env
	conf        *conf.Conf
	maxAttempts int
	log         *slog.Logger

	sched       Scheduler
	ds          *driverSide
	alloc       *allocator
	batches     *ui.Recorder         // the driver's events, for the status page
	registry    *prometheus.Registry // the process's metrics, at the status page's /metrics
	trackingURL string
}

// newAttempt reads what the NodeManager and gostream-submit tell this
// attempt: its environment (which attempt of how many, where the
// application's files are) and the application's configuration.
func newAttempt(cfg Config) (*attempt, error) {
	env, err := ReadEnv(cfg.Getenv)
	if err != nil {
		return nil, err
	}
	c, err := conf.Load(conf.Sources{Environ: cfg.Environ, NoDefaultPropertiesFile: true})
	if err != nil {
		return nil, fmt.Errorf("application master configuration: %w", err)
	}
	maxAttempts, err := effectiveMaxAttempts(env, c, cfg.Getenv)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger.With("app", env.ContainerID.Attempt.App.String(), "attempt", env.Attempt)
	log.Info("application master starting", "container", env.ContainerID, "max_attempts", maxAttempts,
		"requested_max_attempts", c.Int(conf.YarnMaxAppAttempts), "node", env.NMHost)
	return &attempt{cfg: cfg, env: env, conf: c, maxAttempts: maxAttempts, log: log, batches: ui.NewRecorder(), registry: metrics.NewRegistry()}, nil
}

// effectiveMaxAttempts is how many attempts the RM allows this application.
// MAX_APP_ATTEMPTS says so where the RM sets it, but Hadoop 3's RM no longer
// does; then, as Spark's AM does, the request is capped at
// yarn.resourcemanager.am.max-attempts of the site files the application
// was submitted with (the container's HADOOP_CONF_DIR), as the RM caps it.
func effectiveMaxAttempts(env *Env, c *conf.Conf, getenv func(string) string) (int, error) {
	if env.MaxAppAttempts > 0 {
		return env.MaxAppAttempts, nil
	}
	hc, err := hadoopconf.LoadEnv(getenv)
	if err != nil {
		return 0, fmt.Errorf("the RM's cap on attempts: %w", err)
	}
	n, err := hc.EffectiveMaxAttempts(c.Int(conf.YarnMaxAppAttempts))
	if err != nil {
		return 0, fmt.Errorf("the RM's cap on attempts: %w", err)
	}
	return n, nil
}

// scheduler is the RM's scheduler: the test's, or a client authenticated
// with the container's AMRMToken.
func (a *attempt) scheduler() (Scheduler, error) {
	if a.cfg.Scheduler != nil {
		return a.cfg.Scheduler, nil
	}
	return dialScheduler(a.cfg.CallTimeout)
}

// newAllocator keeps gostream.executor.instances executors of the
// configured size running; it gets its launcher once registered.
func (a *attempt) newAllocator() *allocator {
	c := a.conf
	return &allocator{
		sched: a.sched, log: a.log, now: time.Now,
		target: c.Int(conf.ExecutorInstances), resource: executorResource(c),
		maxFailures: maxExecutorFailures(c.Int(conf.ExecutorMaxNumFailures), c.Int(conf.ExecutorInstances)),
		failures:    failureTracker{validity: c.Duration(conf.ExecutorFailuresValidityInterval)},
		heartbeat:   c.Duration(conf.YarnSchedulerHeartbeatInterval), initial: c.Duration(conf.YarnSchedulerInitialAllocationInterval),
		callTimeout: a.cfg.CallTimeout,
		released:    map[yarn.ContainerID]bool{}, nodeEnded: map[yarn.ContainerID]yarn.ContainerStatus{}, running: map[yarn.ContainerID]*Executor{}, wake: make(chan struct{}, 1),
		lostExecs: map[yarn.ContainerID]*Executor{}, toStop: map[yarn.ContainerID]string{},
	}
}

// executorResource is an executor container's size.
func executorResource(c *conf.Conf) yarn.Resource {
	return yarn.Resource{MemoryMB: ContainerMemoryMB(c.Size(conf.ExecutorMemory), c.Size(conf.ExecutorMemoryOverhead)),
		VCores: int32(c.Int(conf.ExecutorCores))}
}

// startStatusPage serves the status page. It starts before registering:
// its address is the tracking URL the RM is told, which users reach
// through the RM's proxy.
func (a *attempt) startStatusPage() (*ui.Server, error) {
	started := time.Now()
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		return nil, fmt.Errorf("status page: %w", err)
	}
	st := ui.Serve(ln, ui.Handler(func() ui.Status { return a.status(started) }, metrics.Handler(a.registry)))
	a.trackingURL = "http://" + net.JoinHostPort(a.env.NMHost, strconv.Itoa(st.Port())) + "/"
	return st, nil
}

// status is what the status page shows now.
func (a *attempt) status(started time.Time) ui.Status {
	c := a.conf
	execs, ended, failed := a.alloc.snapshot()
	st := ui.Status{Application: a.env.ContainerID.Attempt.App.String(), Name: c.String(conf.AppName), Attempt: a.env.Attempt,
		MaxAttempts: a.maxAttempts, RequestedMaxAttempts: c.Int(conf.YarnMaxAppAttempts), Started: started, Executors: execs, EndedExecutors: ended, ExecutorFailures: failed,
		BatchDuration: a.cfg.Batch, GracefulStopTimeout: engine.GracefulStopTimeout(c, a.cfg.Batch), StopMarker: c.String(conf.StopMarker)}
	if ep := a.ds.ep; ep != nil {
		st.Registered, st.ReceiverPlacements = ep.Executors(), ep.Receivers()
	}
	a.batches.Snapshot(&st)
	return st
}

// register registers with the RM, giving it the driver endpoint's port and
// the tracking URL; it returns the largest container the cluster allows.
func (a *attempt) register(ctx context.Context) (yarn.Resource, error) {
	rctx, cancel := context.WithTimeout(ctx, a.cfg.CallTimeout)
	reg, err := a.sched.Register(rctx, a.env.NMHost, int32(a.ds.rpcPort), a.trackingURL)
	cancel()
	if err != nil {
		return yarn.Resource{}, err
	}
	a.log.Info("registered with the ResourceManager", "tracking_url", a.trackingURL, "queue", reg.GetQueue())
	return yarn.ResourceFromProto(reg.GetMaximumCapability()), nil
}

// executorsFit checks executors against the cluster's largest container
// (unknown when zero): the RM would never allocate a larger one, on any
// attempt.
func (a *attempt) executorsFit(maxRes yarn.Resource) error {
	need := a.alloc.resource
	if maxRes.MemoryMB > 0 && (need.MemoryMB > maxRes.MemoryMB || need.VCores > maxRes.VCores) {
		return fmt.Errorf("executors need %v (gostream.executor.memory + memoryOverhead, gostream.executor.cores), above the cluster's largest container %v: lower them, or raise yarn.scheduler.maximum-allocation-mb/-vcores", need, maxRes)
	}
	return nil
}

// launcher starts executors in the containers the allocator gets: the
// test's, or through their NodeManagers, pointing them at the driver side.
func (a *attempt) launcher() Launcher {
	if a.cfg.Launcher != nil {
		return a.cfg.Launcher
	}
	c := a.conf
	return newNMLauncher(executorSpec{
		App: a.env.App, Args: a.cfg.Args, Resources: a.env.Resources, Env: executorEnv(c, a.cfg.Getenv),
		DriverAddress: a.ds.addr, Secret: a.ds.secret, Cores: c.Int(conf.ExecutorCores),
	})
}

// run runs the allocate loop and the driver side by side until the driver
// ends, the allocate loop gives up, a signal comes or ctx ends; then it
// stops the other and says how each ended, for decide.
func (a *attempt) run(ctx context.Context) (driverErr, allocErr error, signaled bool) {
	actx, acancel := context.WithCancel(ctx)
	defer acancel()
	allocDone := make(chan error, 1)
	go func() { allocDone <- a.alloc.run(actx) }()

	dctx, dcancel := context.WithCancel(ctx)
	defer dcancel()
	driverDone := make(chan error, 1)
	go func() { driverDone <- a.runDriver(dctx) }()

	allocEnded := false
	select {
	case driverErr = <-driverDone:
		select { // a signal that stopped the driver
		case <-a.cfg.Signals:
			signaled = true
		default:
		}
	case allocErr = <-allocDone:
		allocEnded = true
		dcancel()
		driverErr = <-driverDone
	case sig := <-a.cfg.Signals:
		signaled = true
		a.log.Info("signal received: ending this attempt without unregistering", "signal", sig)
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
	// The driver has ended: let its executors go before the RM hears the
	// outcome.
	a.ds.close()
	return driverErr, allocErr, signaled
}

// runDriver runs the driver in this process (cluster mode) on a local
// master, its receivers and map tasks on the executors; in client mode it
// holds the link to the submitter's driver until that goes away.
func (a *attempt) runDriver(ctx context.Context) error {
	if a.ds.ep == nil {
		return watchClientDriver(ctx, a.ds, a.conf, a.log, a.alloc.lost)
	}
	// The driver's metrics join the process's at the status page's /metrics;
	// in client mode the driver serves its own (outside YARN).
	ep := a.ds.ep
	m, err := metrics.NewDriver(a.registry, a.cfg.Batch, func() int { return len(ep.Executors()) })
	if err != nil {
		return err
	}
	dconf := a.conf.Clone()
	_ = dconf.Set(conf.Master, fmt.Sprintf("local[%d]", a.conf.Int(conf.DriverCores)))
	_ = dconf.Set(conf.DeployMode, conf.DeployModeClient)
	return a.cfg.Driver(ctx, dconf, a.batches, ep, engine.WithApplicationAttempt(a.env.ContainerID.Attempt.App.String(), a.env.Attempt),
		engine.WithApplicationEnded(RMApplicationEnded(a.cfg.Getenv)), engine.WithListener(m))
}

// end ends the attempt as o says: without unregistering, YARN decides
// whether another attempt runs; unregistering ends the application.
func (a *attempt) end(o outcome) error {
	if !o.unregister {
		a.log.Warn("attempt ends without unregistering: YARN decides whether another attempt runs", "err", o.err)
		return &ExitError{Code: o.code, Err: o.err}
	}
	if err := a.unregister(o.status, o.diag); err != nil {
		return &ExitError{Code: 1, Err: errors.Join(o.err, err)}
	}
	if o.err == nil {
		return nil
	}
	return &ExitError{Code: o.code, Unregistered: true, Err: o.err}
}

// unregister tells the RM the application's final status, then removes the
// staging directory, which no attempt will need again (unless
// gostream.yarn.preserve.staging.files). It does not use Run's context: the
// outcome must reach the RM even when that context has ended.
func (a *attempt) unregister(status yarn.FinalStatus, diag string) error {
	fctx, cancel := context.WithTimeout(context.Background(), 2*a.cfg.CallTimeout)
	defer cancel()
	if err := a.sched.Finish(fctx, status, diag, a.trackingURL); err != nil {
		return err
	}
	a.log.Info("unregistered", "status", status, "diagnostics", diag)
	if a.conf.Bool(conf.YarnPreserveStagingFiles) || a.env.StagingDir == "" {
		return nil
	}
	// HDFS may be what failed the attempt: wait for it as the driver would.
	sctx, scancel := context.WithTimeout(context.Background(), a.cfg.CallTimeout+a.conf.Duration(conf.StorageRetryTimeout))
	defer scancel()
	remove := a.cfg.RemoveStaging
	if remove == nil {
		remove = a.removeStaging
	}
	if err := remove(sctx, a.env.StagingDir); err != nil {
		a.log.Warn("could not remove the staging directory", "dir", a.env.StagingDir, "err", err)
	}
	return nil
}

// outcome is how an attempt ends.
type outcome struct {
	unregister bool
	status     yarn.FinalStatus
	diag       string
	code       int
	err        error
}

// decide applies the rules of the package doc. isLast tells whether YARN
// would start no attempt after this one, and why; it is asked only when the
// driver failed recoverably.
func decide(driverErr, allocErr error, signaled bool, attempt, maxAttempts int, isLast func() (bool, string)) outcome {
	switch {
	case signaled:
		err := fmt.Errorf("attempt %d stopped by a signal (killed by YARN or the user)", attempt)
		if driverErr != nil { // e.g. a graceful stop on SIGTERM that gave up: YARN's kill is never unregistered, but the log says it
			err = fmt.Errorf("%w; the driver: %w", err, driverErr)
		}
		return outcome{code: 143, err: err}
	case allocErr != nil && (errors.Is(allocErr, ErrTooManyExecutorFailures) || errors.Is(allocErr, ErrUnrecoverable)):
		diag := fmt.Sprintf("attempt %d of %d: %v", attempt, maxAttempts, allocErr)
		return outcome{unregister: true, status: yarn.FinalFailed, diag: diag, code: 1, err: errors.New(diag)}
	case allocErr != nil:
		return outcome{code: 1, err: fmt.Errorf("attempt %d: %w", attempt, allocErr)}
	case driverErr == nil:
		return outcome{unregister: true, status: yarn.FinalSucceeded, diag: "the streaming context stopped"}
	}
	var incomplete *engine.StopIncompleteError
	if errors.As(driverErr, &incomplete) { // the operator asked for the end: not a new attempt, nor a success
		diag := fmt.Sprintf("attempt %d of %d: %v", attempt, maxAttempts, driverErr)
		return outcome{unregister: true, status: yarn.FinalFailed, diag: diag, code: 1, err: errors.New(diag)}
	}
	if client, ok := errors.AsType[*ClientDriverError](driverErr); ok { // no attempt restarts a driver that runs in gostream-submit
		status := yarn.FinalFailed
		if client.Killed() {
			status = yarn.FinalKilled
		}
		diag := fmt.Sprintf("attempt %d of %d: %v", attempt, maxAttempts, driverErr)
		return outcome{unregister: true, status: status, diag: diag, code: 1, err: errors.New(diag)}
	}
	why := "a new attempt would fail the same way"
	last := unrecoverable(driverErr)
	if !last {
		last, why = isLast()
	}
	if last {
		diag := fmt.Sprintf("attempt %d of %d failed (%s): the driver: %v", attempt, maxAttempts, why, driverErr)
		return outcome{unregister: true, status: yarn.FinalFailed, diag: diag, code: 1, err: errors.New(diag)}
	}
	return outcome{code: 1, err: fmt.Errorf("attempt %d of %d failed, YARN will start the next: the driver: %w", attempt, maxAttempts, driverErr)}
}

// unrecoverable tells whether a new attempt would meet the driver's err
// again: a checkpoint of another graph, a bad configuration.
func unrecoverable(err error) bool {
	var graph *engine.GraphChangedError
	var confErr *conf.Error
	return errors.As(err, &graph) || errors.As(err, &confErr) || errors.Is(err, ErrUnrecoverable)
}

// lastAttempt tells whether YARN starts no attempt after this one if it
// fails, and why. Below the effective maximum there is a next one. At or
// above it without a validity interval, there is none. With one, YARN
// forgets failures older than the interval, so a 24/7 application may run
// many more attempts than the maximum: the AM asks the RM which attempts
// failed within the interval (Spark's AM does not, and gives up at its
// maximum-th attempt however old the earlier failures are). When the RM
// cannot tell, the AM does not claim the last word: it exits without
// unregistering and YARN decides.
func (a *attempt) lastAttempt() (bool, string) {
	if a.env.Attempt < a.maxAttempts {
		return false, ""
	}
	validity := a.conf.Duration(conf.YarnAMAttemptFailuresValidityInterval)
	if validity <= 0 {
		return true, "last attempt"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*a.cfg.CallTimeout)
	defer cancel()
	reports, err := a.cfg.Attempts(ctx, a.env.ContainerID.Attempt.App)
	if err != nil {
		a.log.Warn("could not ask the ResourceManager which attempts failed within the validity interval; YARN decides whether another attempt starts",
			"validityInterval", validity, "err", err)
		return false, ""
	}
	failed := 1 // this one
	for _, r := range reports {
		if r.ID != a.env.ContainerID.Attempt && r.Failed && time.Since(r.FinishTime) < validity {
			failed++
		}
	}
	if failed < a.maxAttempts {
		a.log.Info("attempts failed within the validity interval are below the maximum: YARN starts another attempt",
			"failed", failed, "max", a.maxAttempts, "validityInterval", validity)
		return false, ""
	}
	return true, fmt.Sprintf("%d attempts failed within the validity interval of %s", failed, validity)
}

// fatal is the outcome of an error found before the driver started that
// every attempt would meet: FAILED at once.
func fatal(err error) outcome {
	return outcome{unregister: true, status: yarn.FinalFailed, diag: err.Error(), code: 1, err: err}
}

// removeStaging removes the staging directory through a resolver of its
// own (the AM touches HDFS this once), waiting out transient faults as the
// driver does.
func (a *attempt) removeStaging(ctx context.Context, dir string) error {
	r := engine.StorageResolver(a.conf, a.log)
	defer r.Close()
	fsys, p, err := r.ForPath(ctx, dir)
	if err != nil {
		return err
	}
	return fsys.RemoveAll(ctx, p)
}
