package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine/cluster"
	"github.com/gostream/gostream/engine/rdd"
	"github.com/gostream/gostream/engine/task"
	"github.com/gostream/gostream/hdfsstore"
)

// Context is a streaming application's entry point, Spark's
// StreamingContext: build the DStream graph on it, then Start it.
type Context struct {
	conf     *conf.Conf
	settings settings
	batch    time.Duration
	clock    Clock
	env      *rdd.Env
	log      *slog.Logger
	stdout   io.Writer

	graph     graph
	graphErrs []error
	pathErrs  []error // paths of the graph that could not be resolved
	remember  time.Duration
	blocks    *blockTracker
	bus       *listenerBus
	sched     *jobScheduler

	inputMu   sync.Mutex
	inputInfo map[int64]map[int]int64 // batch time (ms) → stream → records, for non-receiver inputs

	mu        sync.Mutex
	state     contextState
	err       error
	batchErr  error // the first failed batch's, when failed batches do not stop the context
	stopping  bool
	done      chan struct{}
	recvStop  context.CancelFunc // stops receivers
	genStop   context.CancelFunc // stops batch generation
	hardStop  context.CancelFunc // cancels everything
	receivers sync.WaitGroup
	workers   sync.WaitGroup
	lastGen   time.Time
	genCond   *sync.Cond

	confOverride *conf.Conf           // WithConf
	confDefaults [][2]string          // WithConfDefault: key, value
	ckpt         *checkpointer        // nil without a checkpoint directory
	recovered    *checkpointData      // the checkpoint Start continues from, if any
	ckptFS       hdfsstore.FS         // the checkpoint directory's file system
	fsOverride   hdfsstore.FS         // WithFileSystem
	receiverHost cluster.ReceiverHost // WithReceiverHost: receivers run elsewhere
	taskHost     cluster.TaskHost     // WithTaskHost: tasks run elsewhere
	labelStages  bool                 // label the stages of remoteOK streams (remote_tasks.go)

	resolver    *hdfsstore.Resolver // resolves every path: WithResolver's, or made here
	ownResolver bool                // made here: Stop closes it

	leaseApp     string                      // WithApplicationAttempt
	leaseAttempt int                         //
	appEnded     ApplicationEnded            // WithApplicationEnded
	lease        atomic.Pointer[leaseKeeper] // the checkpoint directory's lease, once taken (lease.go)

	onSignal func(os.Signal) // WithOnSignal (main.go)

	initialListeners []Listener // WithListener (runtime_listener.go)
}

type contextState int

const (
	initialized contextState = iota
	active
	stopped
)

// Option configures a Context.
type Option func(*Context)

// WithClock sets the clock that drives batches (streamtest uses a manual one).
func WithClock(c Clock) Option { return func(s *Context) { s.clock = c } }

// WithBackend runs tasks on b instead of the local master's goroutines.
func WithBackend(b rdd.Backend) Option { return func(s *Context) { s.env.Backend = b } }

// WithStdout sets where Print writes (default os.Stdout).
func WithStdout(w io.Writer) Option { return func(s *Context) { s.stdout = w } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Context) { s.log = l } }

// NewContext returns a context producing a batch every batch duration,
// configured by c (nil: the built-in defaults).
func NewContext(c *conf.Conf, batch time.Duration, opts ...Option) (*Context, error) {
	var scratch Context // options are plain setters: find a WithConf first
	scratch.env = &rdd.Env{}
	for _, o := range opts {
		o(&scratch)
	}
	if scratch.confOverride != nil {
		c = scratch.confOverride
	}
	if c == nil {
		c = conf.Defaults()
	}
	if len(scratch.confDefaults) > 0 {
		c = c.Clone()
		for _, kv := range scratch.confDefaults {
			if err := c.SetDefault(kv[0], kv[1]); err != nil {
				return nil, fmt.Errorf("the application's default: %w", err)
			}
		}
	}
	if batch <= 0 {
		return nil, fmt.Errorf("batch duration %s: must be positive, e.g. 1s", batch)
	}
	if batch%time.Millisecond != 0 {
		return nil, fmt.Errorf("batch duration %s: must be a whole number of milliseconds", batch)
	}
	s, err := readSettings(c, batch)
	if err != nil {
		return nil, err
	}
	ssc := &Context{
		conf: c, settings: s, batch: batch, clock: RealClock{},
		env:       &rdd.Env{Parallelism: s.parallelism},
		log:       slog.Default(),
		stdout:    os.Stdout,
		done:      make(chan struct{}),
		inputInfo: map[int64]map[int]int64{},
	}
	ssc.genCond = sync.NewCond(&ssc.mu)
	for _, o := range opts {
		o(ssc)
	}
	if ssc.resolver == nil {
		ssc.resolver, ssc.ownResolver = StorageResolver(c, ssc.log), true
	}
	if ssc.env.Backend == nil {
		policy := task.Policy{MaxFailures: s.maxFailures, Retrying: ssc.logRetry, Ended: ssc.taskAttemptEnded}
		ssc.env.Backend = rdd.NewLocalBackend(s.slots, policy)
		if ssc.taskHost != nil {
			ssc.env.Backend = &remoteBackend{ssc: ssc, local: rdd.NewLocalBackend(s.slots, policy), host: ssc.taskHost, policy: policy}
			ssc.env.Shuffle = ssc.taskHost
			ssc.labelStages = true
		}
	}
	ssc.blocks = newBlockTracker(s.maxPendingBlocks(batch))
	ssc.bus = newListenerBus(ssc.log)
	for _, l := range ssc.initialListeners {
		ssc.bus.add(l)
	}
	ssc.sched = newJobScheduler(ssc)
	if s.checkpointDir != "" {
		ssc.Checkpoint(s.checkpointDir)
	}
	return ssc, nil
}

// logRetry logs a task attempt that failed and runs again.
func (c *Context) logRetry(attempt int, err error, kind task.Kind) {
	c.log.Warn("task attempt failed; running it again", "attempt", attempt+1, "kind", kind, "err", err)
}

// Conf returns the context's configuration.
func (c *Context) Conf() *conf.Conf { return c.conf }

// BatchDuration is the interval between batches.
func (c *Context) BatchDuration() time.Duration { return c.batch }

// Env is the environment the context's RDDs run in, for building RDDs in
// Transform functions.
func (c *Context) Env() *rdd.Env { return c.env }

// Checkpoint sets the checkpoint directory: once started, the context
// writes a checkpoint there after every batch (input progress, pending
// batches, where the state snapshots are; the receiver write-ahead log lives
// there too). Stateful streams save their state every checkpoint interval
// (DStream.Checkpoint).
// Main and Run continue from the directory's checkpoint when there is one;
// a context made with NewContext does not: use GetOrCreate.
func (c *Context) Checkpoint(dir string) {
	if _, _, err := c.fileSystem(dir); err != nil {
		c.pathError(fmt.Errorf("checkpoint directory %s: %w", dir, err))
		return
	}
	c.settings.checkpointDir = dir
}

// CheckpointDir returns the checkpoint directory ("" when none is set).
func (c *Context) CheckpointDir() string { return c.settings.checkpointDir }

// Remember makes every stream keep its RDDs at least d, for use after their
// batch (e.g. by queries from another goroutine).
func (c *Context) Remember(d time.Duration) { c.remember = d }

// AddListener registers l for the context's events.
func (c *Context) AddListener(l Listener) { c.bus.add(l) }

// Err returns the errors found while building the graph, if any: mistakes
// in the graph, and paths it names that could not be resolved.
func (c *Context) Err() error {
	var errs []error
	if len(c.graphErrs) > 0 {
		errs = append(errs, fmt.Errorf("invalid streaming graph: %w", errors.Join(c.graphErrs...)))
	}
	if len(c.pathErrs) > 0 {
		errs = append(errs, fmt.Errorf("cannot use the application's storage: %w", errors.Join(c.pathErrs...)))
	}
	return errors.Join(errs...)
}

// graphError records a mistake found while building the graph; Start
// reports them all.
func (c *Context) graphError(err error) { c.graphErrs = append(c.graphErrs, err) }

// pathError records a path of the graph that cannot be resolved (a bad
// URL, a Hadoop configuration without a NameNode): not a mistake in the
// graph, though Start reports it with them.
func (c *Context) pathError(err error) { c.pathErrs = append(c.pathErrs, err) }

// partitions resolves an optional partition count.
func (c *Context) partitions(n []int) int {
	if len(n) > 0 && n[0] > 0 {
		return n[0]
	}
	return c.settings.parallelism
}

// WithFileSystem makes every local path the context resolves (checkpoint
// directory, file streams, outputs) use fsys: tests wrap the local file
// system to inject faults.
func WithFileSystem(fsys hdfsstore.FS) Option { return func(s *Context) { s.fsOverride = fsys } }

// WithResolver resolves the context's paths through r, which the caller
// owns and closes once the context has stopped: a process making several
// contexts (an executor) shares one set of HDFS connections. Without it the
// context makes its own resolver and closes it when it stops.
func WithResolver(r *hdfsstore.Resolver) Option { return func(s *Context) { s.resolver = r } }

// StorageResolver is the resolver a process of the application resolves its
// paths with: its HDFS calls wait out transient faults for
// gostream.hadoop.storageRetryTimeout, logging to log.
func StorageResolver(c *conf.Conf, log *slog.Logger) *hdfsstore.Resolver {
	return &hdfsstore.Resolver{RetryTimeout: c.Duration(conf.StorageRetryTimeout), RetrySetting: conf.StorageRetryTimeout, Logger: log,
		KerberosPrincipal: c.String(conf.KerberosPrincipal), KerberosKeytab: c.String(conf.KerberosKeytab)}
}

// resolveTimeout bounds resolving a path, which may connect to a NameNode.
const resolveTimeout = time.Minute

// FileSystem resolves a path as the context resolves its own (checkpoint
// directory, file streams, outputs) to a file system and a path in it:
// hdfs:// URLs, file:// URLs and plain paths, which live on fs.defaultFS of
// HADOOP_CONF_DIR when it names HDFS (as in Spark), else on the local file
// system (hdfsstore.Resolver.ForPath). An HDFS file system is the context's:
// it is closed when the context stops. Once the driver holds its checkpoint
// directory's lease, every commit, rename and removal through it first checks
// that no other driver took the lease over (lease.go).
func (c *Context) FileSystem(ctx context.Context, p string) (hdfsstore.FS, string, error) {
	fsys, abs, err := c.unfencedFileSystem(ctx, p)
	if err != nil {
		return nil, "", err
	}
	return hdfsstore.Fenced(fsys, c.checkFence), abs, nil
}

// unfencedFileSystem is FileSystem without the fence, for the lease itself.
func (c *Context) unfencedFileSystem(ctx context.Context, p string) (hdfsstore.FS, string, error) {
	if c.fsOverride != nil {
		abs, err := filepath.Abs(strings.TrimPrefix(p, "file://"))
		if err != nil {
			return nil, "", err
		}
		return c.fsOverride, filepath.ToSlash(abs), nil
	}
	return c.resolver.ForPath(ctx, p)
}

// fileSystem is FileSystem within resolveTimeout, for the graph's paths.
func (c *Context) fileSystem(p string) (hdfsstore.FS, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
	defer cancel()
	return c.FileSystem(ctx, p)
}

// recordInput notes the records a non-receiver input gave batch t.
func (c *Context) recordInput(t time.Time, stream int, records int64) {
	c.inputMu.Lock()
	defer c.inputMu.Unlock()
	m, ok := c.inputInfo[t.UnixMilli()]
	if !ok {
		m = map[int]int64{}
		c.inputInfo[t.UnixMilli()] = m
	}
	m[stream] += records
}

// recordInputFiles notes the files a file stream gave batch t.
func (c *Context) recordInputFiles(t time.Time, stream int, files []string) {
	c.recordInput(t, stream, 0) // record counts of files are known only once read
}

// Start validates the graph and starts receiving and generating batches.
func (c *Context) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.state {
	case active:
		return errors.New("streaming context already started")
	case stopped:
		return errors.New("streaming context was stopped; a stopped context cannot be restarted: create a new one")
	}
	if err := c.validate(); err != nil {
		return err
	}
	// Batch times are multiples of the batch duration since the Unix epoch,
	// as in Spark (time.Time.Truncate would count from year 1).
	b := c.batch.Milliseconds()
	first := time.UnixMilli((c.clock.Now().UnixMilli()/b + 1) * b)
	c.graph.zero = first.Add(-c.batch)
	c.initRemember()

	var redo []time.Time
	if r := c.recovered; r != nil {
		first, redo = c.recoveryTimes(r)
	}
	if err := c.startCheckpointing(); err != nil {
		return err
	}

	hardCtx, hardStop := context.WithCancel(context.Background())
	recvCtx, recvStop := context.WithCancel(hardCtx)
	genCtx, genStop := context.WithCancel(hardCtx)
	c.hardStop, c.recvStop, c.genStop = hardStop, recvStop, genStop

	go c.bus.run()
	for range c.settings.concurrentJobs {
		c.workers.Add(1)
		go func() { defer c.workers.Done(); c.sched.work(hardCtx) }()
	}
	for _, in := range c.graph.inputs {
		c.receivers.Add(1)
		go func() { defer c.receivers.Done(); in.run(recvCtx, hardCtx) }()
	}
	c.workers.Add(1)
	go func() { defer c.workers.Done(); c.generate(genCtx, redo, first) }()
	c.state = active
	c.log.Info("streaming context started", "master", c.settings.master, "batchDuration", c.batch,
		"firstBatch", first.UnixMilli(), "receivers", len(c.graph.inputs), "outputs", len(c.graph.outputs))
	return nil
}

// initRemember sets how long every node keeps its RDDs, how often stateful
// nodes are saved, and so how long the block tracker keeps the blocks of
// each receiver's completed batches (for windows and for replaying state).
// Recovery needs it before Start; running it again changes nothing.
func (c *Context) initRemember() {
	for _, o := range c.graph.outputs {
		o.node.setRemember(max(o.node.slide, c.remember))
	}
	for _, n := range c.graph.nodes {
		n.setRemember(max(n.slide, c.remember))
	}
	c.planSnapshots()
	for _, n := range c.graph.nodes {
		if len(n.parents) == 0 {
			c.blocks.retain(n.id, n.retention())
		}
	}
}

func (c *Context) validate() error {
	if err := c.Err(); err != nil {
		return err
	}
	if len(c.graph.outputs) == 0 {
		return errors.New("no output operations registered, so nothing to execute: add Print, SaveAsTextFiles, ForeachRDD or ForeachPartition")
	}
	if c.settings.checkpointDir == "" {
		for _, n := range c.graph.nodes {
			if n.stateful {
				return fmt.Errorf("%s (operator #%d) keeps state across batches and needs a checkpoint directory: call Checkpoint(dir) or set %s",
					n.kind, n.id, conf.CheckpointDirectory)
			}
		}
	}
	return nil
}

// generate re-creates the batches recovery must re-run, then produces a
// batch at every batch time from first on until ctx ends.
func (c *Context) generate(ctx context.Context, redo []time.Time, first time.Time) {
	for _, t := range redo {
		if ctx.Err() != nil {
			return
		}
		c.generateBatch(t)
		c.mu.Lock()
		c.lastGen = t
		c.genCond.Broadcast()
		c.mu.Unlock()
	}
	for t := first; c.clock.WaitUntil(ctx, t) == nil; t = t.Add(c.batch) {
		c.generateBatch(t)
		c.mu.Lock()
		c.lastGen = t
		c.genCond.Broadcast()
		c.mu.Unlock()
	}
}

// generateBatch gives batch t its received blocks, builds its jobs and
// submits them.
func (c *Context) generateBatch(t time.Time) {
	ms := t.UnixMilli()
	set := &jobSet{info: BatchInfo{BatchTime: t, SubmissionTime: c.clock.Now(), StreamRecords: c.blocks.allocate(t),
		OutputOps: make([]OutputOpInfo, len(c.graph.outputs))}}
	addJob := func(id int, name string, run func(context.Context) error, forced bool) {
		set.jobs = append(set.jobs, &job{set: set, opID: id, name: name, run: run, forced: forced,
			info: OutputOpInfo{BatchTime: t, ID: id, Name: name}})
	}
	// Inputs take their data now: a window sliding slower than the batch
	// reads it only at its slide, after this batch released its blocks.
	for _, n := range c.graph.nodes {
		if n.input != nil {
			n.input.generate(t)
		}
	}
	for _, op := range c.graph.outputs {
		run, err := op.job(t)
		if err != nil {
			run = func(context.Context) error { return err }
		}
		set.info.OutputOps[op.id] = OutputOpInfo{BatchTime: t, ID: op.id, Name: op.kind}
		if run != nil {
			addJob(op.id, op.kind, run, false)
		}
	}
	for _, n := range c.graph.nodes {
		var r any
		switch {
		case n.eager: // generated here when no output asked for it
			var err error
			if r, err = n.typed.rddAt(t); err != nil {
				addJob(-1, "materialize "+n.kind, func(context.Context) error { return err }, true)
				continue
			}
		case n.stateful:
			r = n.rddAtMs(ms)
		}
		if r == nil {
			continue
		}
		addJob(-1, "materialize "+n.kind, func(ctx context.Context) error {
			keys, err := n.typed.force(ctx, r)
			if err == nil && n.stateful {
				c.stateMaterialized(StateInfo{StreamID: n.id, Kind: n.kind, BatchTime: t, Keys: keys})
			}
			return err
		}, true)
	}
	c.inputMu.Lock()
	for stream, n := range c.inputInfo[ms] {
		set.info.StreamRecords[stream] += n
	}
	delete(c.inputInfo, ms)
	c.inputMu.Unlock()
	if c.ckpt != nil { // before submitting: the batch must be pending before it can complete
		c.ckpt.post(ckptEvent{generated: ms})
	}
	c.sched.submit(set)
}

// batchCompleted frees what batch info.BatchTime held.
func (c *Context) batchCompleted(info BatchInfo) {
	if c.ckpt != nil {
		c.ckpt.post(ckptEvent{completed: info.BatchTime.UnixMilli(), rdds: c.checkpointedRDDs(info.BatchTime)})
	}
	c.blocks.release(info.BatchTime)
	c.forgetBlocks(c.blocks.forget(info.BatchTime))
	for _, n := range c.graph.nodes {
		n.forget(info.BatchTime)
	}
	if c.taskHost != nil {
		c.forgetShuffles(info.BatchTime)
	}
}

// batchFailed records the first error of a batch that failed without
// stopping the context: the context reports it when it stops.
func (c *Context) batchFailed(err error) {
	c.mu.Lock()
	if c.batchErr == nil {
		c.batchErr = err
	}
	c.mu.Unlock()
}

// fail stops the context because of err (the first error wins).
func (c *Context) fail(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
	go c.Stop(false)
}

// Stop stops the context. A graceful stop stops the receivers, then lets
// every block they received be processed, waiting as long as batches keep
// completing; it gives up when none completes for
// gostream.streaming.gracefulStopTimeout, and AwaitTermination then returns
// a *StopIncompleteError saying what was left. Otherwise pending batches
// are dropped. It returns once everything has stopped; calling it again,
// or concurrently, waits for the same stop.
func (c *Context) Stop(graceful bool) {
	c.mu.Lock()
	if c.state == initialized {
		c.state = stopped
		c.mu.Unlock()
		c.releaseLease()
		c.closeResolver()
		close(c.done)
		return
	}
	if c.stopping || c.state == stopped { // stopped before it ever started, too
		c.mu.Unlock()
		<-c.done
		return
	}
	c.stopping = true
	c.mu.Unlock()

	var incomplete *StopIncompleteError
	if graceful {
		c.log.Info("stopping gracefully: processing what was received while batches complete", "timeoutWithoutProgress", c.settings.gracefulStopTimeout)
		if err := c.drain(); err != nil {
			incomplete = &StopIncompleteError{Timeout: c.settings.gracefulStopTimeout}
			c.mu.Lock()
			if c.err == nil { // before the cancelled batches fail: this is why they did
				c.err = incomplete
			}
			c.mu.Unlock()
		}
	}
	c.recvStop()
	c.genStop()
	c.hardStop()
	c.receivers.Wait()
	c.workers.Wait()
	if incomplete != nil {
		incomplete.Batches, incomplete.Records = c.sched.unprocessed()
		incomplete.Records += c.blocks.unallocatedRecords()
		incomplete.WAL = c.blocks.wal != nil
		c.log.Error(incomplete.Error())
	}
	if c.ckpt != nil { // the last checkpoint covers every completed batch
		close(c.ckpt.events)
		<-c.ckpt.done
	}
	c.releaseLease()
	c.bus.stop()
	c.closeResolver()
	// Logged before done closes: a process may exit as soon as it does.
	c.log.Info("streaming context stopped", "graceful", graceful, "complete", incomplete == nil)
	c.mu.Lock()
	c.state = stopped
	close(c.done)
	c.mu.Unlock()
}

// closeResolver closes the context's HDFS connections, unless they are the
// caller's (WithResolver).
func (c *Context) closeResolver() {
	if !c.ownResolver {
		return
	}
	if err := c.resolver.Close(); err != nil {
		c.log.Warn("closing the HDFS connections", "err", err)
	}
}

// drain stops the receivers, waits until a batch has taken every block they
// stored, stops generating, and waits for the generated batches to finish.
// It gives up, returning context.Canceled, once no batch has completed for
// the graceful-stop timeout.
func (c *Context) drain() error {
	ctx, cancel := context.WithCancel(context.Background())
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		c.sched.giveUpWithoutProgress(ctx, c.settings.gracefulStopTimeout, cancel)
	}()
	defer func() { cancel(); <-watched }()

	c.recvStop()
	c.receivers.Wait()
	stopped := c.clock.Now()
	stop := context.AfterFunc(ctx, func() {
		c.mu.Lock()
		c.genCond.Broadcast()
		c.mu.Unlock()
	})
	defer stop()
	c.mu.Lock()
	for (c.lastGen.Before(stopped) || c.blocks.hasUnallocated()) && ctx.Err() == nil && c.err == nil {
		c.genCond.Wait()
	}
	c.mu.Unlock()
	c.genStop()
	return c.sched.waitIdle(ctx)
}

// Done is closed once the context has stopped.
func (c *Context) Done() <-chan struct{} { return c.done }

// AwaitTermination blocks until the context stops or ctx ends, and returns
// the error that stopped it: nil after a requested stop, a
// *StopIncompleteError after a graceful stop that had to give up. With
// gostream.streaming.onBatchFailure=continue, a context stopped on request
// returns the first failed batch's error, if any batch failed: the run was
// not a success.
func (c *Context) AwaitTermination(ctx context.Context) error {
	select {
	case <-c.done:
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.err != nil {
			return c.err
		}
		return c.batchErr
	case <-ctx.Done():
		return ctx.Err()
	}
}
