package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine/rdd"
)

// Tasks may run away from the driver, as Spark runs them on executors. Go
// cannot ship a task's closures, so the executor runs the same binary,
// builds the same graph with the same setup function and rebuilds the RDD
// the task belongs to (TaskServer). What it rebuilds from:
//
//   - the graph: an operator's id is its position, so both sides agree;
//   - the batch's input partitions: the executor reads them from the driver,
//     which holds the received blocks (and writes them to the WAL);
//   - the upstream shuffles: the task's spec lists where their map outputs
//     are, on executors that serve them to each other.
//
// Only streams computed from their batch's input alone can be rebuilt
// (inputs, narrow and keyed operators, unions and joins of those: remoteOK).
// Their shuffle map tasks run remotely, and so do the partition tasks of
// ForeachPartition and SaveAsTextFiles on them. Windows, state, Transform,
// reduce tasks feeding those and driver-side outputs (ForeachRDD, Print)
// stay on the driver, which reads map outputs from the executors. Each
// shuffle map stage of a remoteOK stream is labelled with a ref,
// "<node>@<batch ms>/<k>", the same in every process that builds the RDD.

// ErrExecutorLost: the executor running a task or a receiver went away. A
// task that failed this way runs again on the driver.
var ErrExecutorLost = errors.New("executor lost")

// Task is one task for an executor: a shuffle map task or an output's
// partition task. Spec is what the executor's TaskServer needs, opaque to
// the host.
type Task struct {
	Name      string // the stage's ref or the output, for messages
	Partition int
	Spec      []byte
}

// InputServer answers an executor's reads of the driver's input partitions
// while one of the driver's tasks runs there.
type InputServer interface {
	ReadInput(ctx context.Context, req []byte) ([]byte, error)
}

// TaskHost runs tasks on executors (on YARN: container.Endpoint).
type TaskHost interface {
	// Cores is how many tasks the registered executors run at once; 0 when
	// there are none (tasks then run on the driver).
	Cores() int
	// RunTask runs t on an executor with a free core (waiting for one) and
	// returns where a map task's output is (nothing for an output's task).
	// inputs serves the task's reads of input partitions. An error
	// wrapping ErrExecutorLost means the executor went away; any other
	// error is the task's.
	RunTask(ctx context.Context, t Task, inputs InputServer) (rdd.MapOutput, error)
	// ForgetShuffles tells every executor to drop the map outputs of
	// batches before beforeMs: no reduce task reads them any more.
	ForgetShuffles(ctx context.Context, beforeMs int64)
	// ReadBucket reads map outputs for the driver's reduce tasks.
	rdd.ShuffleReader
}

// WithTaskHost runs tasks on h's executors when it has any.
func WithTaskHost(h TaskHost) Option { return func(s *Context) { s.taskHost = h } }

// TaskEnv is what an executor gives TaskServer.RunTask for one task: the
// reads of the driver's input partitions go to the driver that sent it.
type TaskEnv interface {
	ReadInput(ctx context.Context, req []byte) ([]byte, error)
}

// MapResult is a task's output on the executor: for a map task one encoded
// bucket per reduce partition, kept there until the driver forgets BatchMs;
// nil Buckets for an output's task.
type MapResult struct {
	BatchMs int64
	Buckets [][]byte
}

// typedRDD does for a node what needs its element type.
type typedRDD struct {
	// rddAt is the node's RDD at t (generated once), nil when none.
	rddAt  func(t time.Time) (any, error)
	parts  func(r any) int
	stages func(r any) []rdd.Stage
	// encodePartition computes partition p of r and encodes it.
	encodePartition func(ctx context.Context, r any, p int) ([]byte, error)
	// remoteInput is an RDD of parts partitions whose partition p is what
	// read returns, decoded: an input's RDD on an executor.
	remoteInput func(parts int, read func(ctx context.Context, p int) ([]byte, error)) any
}

func typedFor[T any](ds *DStream[T]) typedRDD {
	env := ds.ssc.env
	return typedRDD{
		rddAt: func(t time.Time) (any, error) {
			r, err := ds.rddAt(t)
			if r == nil {
				return nil, err
			}
			return r, err
		},
		parts:  func(r any) int { return r.(*RDD[T]).NumPartitions() },
		stages: func(r any) []rdd.Stage { return rdd.Stages(r.(*RDD[T])) },
		encodePartition: func(ctx context.Context, r any, p int) ([]byte, error) {
			var items []T
			if err := r.(*RDD[T]).Compute(ctx, p, func(x T) { items = append(items, x) }); err != nil {
				return nil, err
			}
			return encodeSlice(items)
		},
		remoteInput: func(parts int, read func(ctx context.Context, p int) ([]byte, error)) any {
			return rdd.Zip(env, parts, func(ctx context.Context, p int, emit func(T)) error {
				b, err := read(ctx, p)
				if err != nil {
					return err
				}
				items, err := decodeSlice[T](b)
				if err != nil {
					return fmt.Errorf("input partition %d from the driver: %w", p, err)
				}
				for _, x := range items {
					emit(x)
				}
				return nil
			})
		},
	}
}

// labelStages names the stages of n's RDD at ms that no parent's RDD
// labelled: "<node>@<ms>/<k>" in lineage order, the same in every process.
func labelStages(n *node, ms int64, stages []rdd.Stage) {
	k := 0
	for _, st := range stages {
		if st.Ref() == "" {
			st.Label(fmt.Sprintf("%d@%d/%d", n.id, ms, k))
			k++
		}
	}
}

// parseRef splits a stage ref into its node and batch time.
func parseRef(ref string) (node int, ms int64, err error) {
	var k int
	if _, err := fmt.Sscanf(ref, "%d@%d/%d", &node, &ms, &k); err != nil {
		return 0, 0, fmt.Errorf("stage ref %q: %w", ref, err)
	}
	return node, ms, nil
}

// taskSpec is what an executor needs to rebuild and run one task: partition
// Partition of map stage Stage, or of output Output, of stream Node's RDD
// at batch Ms.
type taskSpec struct {
	Fingerprint string         `json:"fingerprint"` // of the driver's graph
	ZeroMs      int64          `json:"zero_ms"`
	Parallelism int            `json:"parallelism"`
	Node        int            `json:"node"`
	Ms          int64          `json:"ms"`
	Stage       string         `json:"stage,omitempty"`
	Output      *int           `json:"output,omitempty"`
	Partition   int            `json:"partition"`
	Inputs      []inputParts   `json:"inputs"`   // the inputs of the stream at its batch
	Upstream    []stageOutputs `json:"upstream"` // where the shuffles it reads are
}

type inputParts struct {
	Node  int `json:"node"`
	Parts int `json:"parts"`
}

type stageOutputs struct {
	Stage   string          `json:"stage"`
	Outputs []rdd.MapOutput `json:"outputs"`
}

// inputRequest asks the driver for partition Partition of input Node's
// RDD at batch Ms.
type inputRequest struct {
	Node      int   `json:"node"`
	Ms        int64 `json:"ms"`
	Partition int   `json:"partition"`
}

// mapSpec describes the map tasks of st for an executor, all but their
// partition; ok is false when they must run here (an input or upstream
// output this process holds).
func (c *Context) mapSpec(st rdd.Stage) (s taskSpec, ok bool, err error) {
	id, ms, err := parseRef(st.Ref())
	if err != nil {
		return s, false, err
	}
	s, ok = c.completeSpec(taskSpec{Node: id, Ms: ms, Stage: st.Ref()}, st.Upstream())
	return s, ok, nil
}

// completeSpec adds to s the graph, the inputs and where the upstream
// stages' outputs are: what every task of a stage or an output shares.
func (c *Context) completeSpec(s taskSpec, upstream []rdd.Stage) (taskSpec, bool) {
	s.Fingerprint, s.ZeroMs, s.Parallelism = c.graph.fingerprint(), c.graph.zero.UnixMilli(), c.settings.parallelism
	for _, in := range inputsOf(c.graph.nodes[s.Node]) {
		r := in.rddAtMs(s.Ms)
		if r == nil {
			return s, false
		}
		s.Inputs = append(s.Inputs, inputParts{Node: in.id, Parts: in.typed.parts(r)})
	}
	for _, up := range upstream {
		outs, ok := up.Outputs()
		if !ok {
			return s, false
		}
		s.Upstream = append(s.Upstream, stageOutputs{Stage: up.Ref(), Outputs: outs})
	}
	return s, true
}

// forPartition is the encoded spec of partition p's task.
func (s taskSpec) forPartition(p int) ([]byte, error) {
	s.Partition = p
	return json.Marshal(s)
}

// inputsOf lists the inputs n is computed from, each once, by id.
func inputsOf(n *node) []*node {
	seen := map[*node]bool{}
	var out []*node
	var walk func(*node)
	walk = func(n *node) {
		if seen[n] {
			return
		}
		seen[n] = true
		if len(n.parents) == 0 {
			out = append(out, n)
		}
		for _, p := range n.parents {
			walk(p)
		}
	}
	walk(n)
	slices.SortFunc(out, func(a, b *node) int { return a.id - b.id })
	return out
}

// ReadInput implements InputServer: an executor reads a partition of an
// input's RDD of a batch not yet forgotten.
func (c *Context) ReadInput(ctx context.Context, req []byte) ([]byte, error) {
	var r inputRequest
	if err := json.Unmarshal(req, &r); err != nil {
		return nil, fmt.Errorf("input request: %w", err)
	}
	if r.Node < 0 || r.Node >= len(c.graph.nodes) || len(c.graph.nodes[r.Node].parents) > 0 {
		return nil, fmt.Errorf("input request: #%d is not an input of this driver's graph", r.Node)
	}
	n := c.graph.nodes[r.Node]
	data := n.rddAtMs(r.Ms)
	if data == nil {
		return nil, fmt.Errorf("input request: %s has no RDD at %d (forgotten, or never generated)", n.kind, r.Ms)
	}
	if r.Partition < 0 || r.Partition >= n.typed.parts(data) {
		return nil, fmt.Errorf("input request: %s at %d has no partition %d", n.kind, r.Ms, r.Partition)
	}
	return n.typed.encodePartition(ctx, data, r.Partition)
}

// forgetShuffles tells the executors to drop the map outputs no remembered
// RDD reads any more: those of batches at or before done minus the longest
// memory of a stream whose stages run there.
func (c *Context) forgetShuffles(done time.Time) {
	var keep time.Duration
	for _, n := range c.graph.nodes {
		if n.remoteOK {
			keep = max(keep, n.remember)
		}
	}
	before := done.Add(-keep).UnixMilli() + 1
	c.workers.Add(1)
	go func() {
		defer c.workers.Done()
		ctx, cancel := context.WithTimeout(context.Background(), c.settings.networkTimeout)
		defer cancel()
		c.taskHost.ForgetShuffles(ctx, before)
	}()
}

// remoteBackend runs the map tasks of labelled stages (and the partition
// tasks of outputs on remoteOK streams) on the task host's executors, and
// every other task, and every task while no executor is registered, on the
// driver's local backend.
type remoteBackend struct {
	ssc   *Context
	local *rdd.LocalBackend
	host  TaskHost
}

// remoteJob is a task the backend may run on an executor: spec describes it
// there (nil: it runs here), name in messages; done records where a map
// task's output went.
type remoteJob struct {
	task rdd.Task
	name string
	spec []byte
	done func(rdd.MapOutput)
}

// Slots implements rdd.Backend: the executors' cores while there are
// executors, as map tasks (which input partitions feed) run there; else the
// driver's.
func (b *remoteBackend) Slots() int {
	if n := b.host.Cores(); n > 0 {
		return n
	}
	return b.local.Slots()
}

// RunTasks implements rdd.Backend.
func (b *remoteBackend) RunTasks(ctx context.Context, tasks []rdd.Task) error {
	jobs := make([]remoteJob, len(tasks))
	remote := b.host.Cores() > 0
	specs := map[rdd.Stage]*taskSpec{} // per stage; nil: its tasks run here
	for i, t := range tasks {
		jobs[i].task = t
		if !remote || t.Remote == nil {
			continue
		}
		st := t.Remote.Stage
		base, seen := specs[st]
		if !seen {
			s, ok, err := b.ssc.mapSpec(st)
			if err != nil {
				return &rdd.TaskError{Stage: t.Stage, Partition: t.Partition, Err: err}
			}
			if ok {
				base = &s
			}
			specs[st] = base
		}
		if base == nil {
			continue
		}
		spec, err := base.forPartition(t.Partition)
		if err != nil {
			return &rdd.TaskError{Stage: t.Stage, Partition: t.Partition, Err: err}
		}
		jobs[i].name, jobs[i].spec, jobs[i].done = st.Ref(), spec, t.Remote.Done
	}
	return b.run(ctx, jobs)
}

// run runs the jobs with a spec on executors and the others here, and
// returns the first failure (cancelling the rest).
func (b *remoteBackend) run(ctx context.Context, jobs []remoteJob) error {
	var here []rdd.Task
	var there []remoteJob
	for _, j := range jobs {
		if j.spec != nil {
			there = append(there, j)
		} else {
			here = append(here, j.task)
		}
	}
	if len(there) == 0 {
		return b.local.RunTasks(ctx, here)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(there)+1)
	for _, j := range there {
		go func() { errs <- b.runRemote(ctx, j) }()
	}
	go func() { errs <- b.local.RunTasks(ctx, here) }()
	var first error
	for range len(there) + 1 {
		if err := <-errs; err != nil && first == nil {
			first = err
			cancel()
		}
	}
	return first
}

// runRemote runs j on an executor. A task the executor could not run (it
// was lost, or failed) runs again here, as Spark retries a failed task;
// a task that fails here too fails the job.
func (b *remoteBackend) runRemote(ctx context.Context, j remoteJob) error {
	t := j.task
	out, err := b.host.RunTask(ctx, Task{Name: j.name, Partition: t.Partition, Spec: j.spec}, b.ssc)
	if err == nil {
		if j.done != nil {
			j.done(out)
		}
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	b.ssc.log.Warn("task failed on an executor; running it on the driver",
		"task", j.name, "partition", t.Partition, "err", err)
	return b.local.RunTasks(ctx, []rdd.Task{{Stage: t.Stage, Partition: t.Partition, Run: t.Run}})
}

// foreachPartition runs f on every partition of r, op's RDD of batch t: on
// the executors when the stream can be rebuilt there (each runs its own
// copy of op's partition function), else as tasks on the backend.
func foreachPartition[T any](ctx context.Context, ssc *Context, op *outputOp, t time.Time, r *RDD[T],
	f func(ctx context.Context, p int, items iter.Seq[T]) error) error {
	b, ok := ssc.env.Backend.(*remoteBackend)
	if !ok || !op.node.remoteOK || b.host.Cores() == 0 {
		return r.ForeachPartition(ctx, op.kind, f)
	}
	if err := rdd.RunStages(ctx, r); err != nil {
		return err
	}
	base, remote := ssc.completeSpec(taskSpec{Node: op.node.id, Ms: t.UnixMilli(), Output: &op.id}, rdd.Stages(r))
	name := fmt.Sprintf("%s (output %d) at %d", op.kind, op.id, t.UnixMilli())
	jobs := make([]remoteJob, r.NumPartitions())
	for p := range jobs {
		jobs[p].task = r.PartitionTask(op.kind, p, f)
		if !remote {
			continue
		}
		spec, err := base.forPartition(p)
		if err != nil {
			return &rdd.TaskError{Stage: op.kind, Partition: p, Err: err}
		}
		jobs[p].name, jobs[p].spec = name, spec
	}
	return b.run(ctx, jobs)
}

// TaskServer runs the tasks a remote driver sends: an executor's side of
// TaskHost. It builds the graph once, with setup, as the driver did.
type TaskServer struct {
	conf    *conf.Conf
	batch   time.Duration
	setup   Setup
	shuffle rdd.ShuffleReader
	opts    []Option

	mu          sync.Mutex // the graph's generated RDDs are one task's at a time
	ssc         *Context
	parallelism int
}

// NewTaskServer returns a server that builds the graph with setup under
// configuration c and opts and reads other executors' map outputs through
// shuffle. The graph's context never stops: give it the process's resolver
// (WithResolver), which the process closes.
func NewTaskServer(c *conf.Conf, batch time.Duration, setup Setup, shuffle rdd.ShuffleReader, opts ...Option) *TaskServer {
	return &TaskServer{conf: c, batch: batch, setup: setup, shuffle: shuffle, opts: opts}
}

// RunTask runs the task spec describes: it rebuilds the task's RDD, reading
// the batch's input partitions through env, then computes a map task's
// encoded buckets or runs an output's partition function.
func (s *TaskServer) RunTask(ctx context.Context, spec []byte, env TaskEnv) (MapResult, error) {
	var sp taskSpec
	if err := json.Unmarshal(spec, &sp); err != nil {
		return MapResult{}, fmt.Errorf("task spec: %w", err)
	}
	name := sp.Stage
	if sp.Output != nil {
		name = fmt.Sprintf("output %d at %d", *sp.Output, sp.Ms)
	}
	run, err := s.rebuild(sp, env)
	if err != nil {
		return MapResult{}, fmt.Errorf("task %s partition %d: %w", name, sp.Partition, err)
	}
	var buckets [][]byte
	err = rdd.RunTask(ctx, rdd.Task{Stage: name, Partition: sp.Partition, Run: func(ctx context.Context) error {
		var err error
		buckets, err = run(ctx)
		return err
	}})
	if err != nil {
		return MapResult{}, err
	}
	return MapResult{BatchMs: sp.Ms, Buckets: buckets}, nil
}

// rebuild generates the RDD of the task's stream at its batch, from input
// partitions read through env, sets where the shuffles it reads are, and
// returns the task's work. Each task gets RDDs of its own: the inputs it
// reads belong to its run on the driver.
func (s *TaskServer) rebuild(sp taskSpec, env TaskEnv) (func(ctx context.Context) ([][]byte, error), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ssc, err := s.context(sp)
	if err != nil {
		return nil, err
	}
	g := &ssc.graph
	if sp.Node < 0 || sp.Node >= len(g.nodes) || !g.nodes[sp.Node].remoteOK {
		return nil, fmt.Errorf("stream #%d cannot be rebuilt on an executor", sp.Node)
	}
	g.zero = time.UnixMilli(sp.ZeroMs)
	for _, n := range g.nodes {
		n.forgetAt(sp.Ms)
	}
	defer func() {
		for _, n := range g.nodes {
			n.forgetAt(sp.Ms)
		}
	}()
	for _, in := range sp.Inputs {
		if in.Node < 0 || in.Node >= len(g.nodes) || len(g.nodes[in.Node].parents) > 0 {
			return nil, fmt.Errorf("#%d is not an input of this graph", in.Node)
		}
		n := g.nodes[in.Node]
		n.restoreRDD(sp.Ms, n.typed.remoteInput(in.Parts, func(ctx context.Context, p int) ([]byte, error) {
			req, err := json.Marshal(inputRequest{Node: n.id, Ms: sp.Ms, Partition: p})
			if err != nil {
				return nil, err
			}
			return env.ReadInput(ctx, req)
		}))
	}
	t := time.UnixMilli(sp.Ms)
	n := g.nodes[sp.Node]
	r, err := n.typed.rddAt(t)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, fmt.Errorf("stream #%d has no RDD at %d", sp.Node, sp.Ms)
	}
	given := map[string][]rdd.MapOutput{}
	for _, u := range sp.Upstream {
		given[u.Stage] = u.Outputs
	}
	stages := n.typed.stages(r)
	if sp.Output != nil {
		i := *sp.Output
		if i < 0 || i >= len(g.outputs) || g.outputs[i].node != n || g.outputs[i].partition == nil {
			return nil, fmt.Errorf("output %d of this graph does not run tasks on stream #%d", i, sp.Node)
		}
		if err := setOutputs(stages, given); err != nil {
			return nil, err
		}
		return func(ctx context.Context) ([][]byte, error) {
			return nil, g.outputs[i].partition(ctx, t, r, sp.Partition)
		}, nil
	}
	i := slices.IndexFunc(stages, func(st rdd.Stage) bool { return st.Ref() == sp.Stage })
	if i < 0 {
		return nil, fmt.Errorf("no stage %s in the rebuilt RDD", sp.Stage)
	}
	target := stages[i]
	if err := setOutputs(target.Upstream(), given); err != nil {
		return nil, err
	}
	return func(ctx context.Context) ([][]byte, error) { return target.RunMapTask(ctx, sp.Partition) }, nil
}

// setOutputs marks each of stages as run, with the outputs the driver gave.
func setOutputs(stages []rdd.Stage, given map[string][]rdd.MapOutput) error {
	for _, st := range stages {
		outs, ok := given[st.Ref()]
		if !ok {
			return fmt.Errorf("the driver sent no map outputs for upstream stage %s", st.Ref())
		}
		if err := st.SetOutputs(outs); err != nil {
			return err
		}
	}
	return nil
}

// context is the graph built for the driver's parallelism (the number of
// shuffle partitions is fixed when the graph is built).
func (s *TaskServer) context(sp taskSpec) (*Context, error) {
	if s.ssc != nil && s.parallelism == sp.Parallelism {
		return s.ssc, nil
	}
	c := s.conf.Clone()
	if err := c.Set(conf.Master, "local[1]"); err != nil { // tasks run on the executor's own goroutines
		return nil, err
	}
	if err := c.Set(conf.DefaultParallelism, strconv.Itoa(sp.Parallelism)); err != nil {
		return nil, err
	}
	ssc, err := NewContext(c, s.batch, s.opts...)
	if err != nil {
		return nil, err
	}
	if err := s.setup(ssc); err != nil {
		ssc.Stop(false)
		return nil, fmt.Errorf("setup: %w", err)
	}
	if fp := ssc.graph.fingerprint(); fp != sp.Fingerprint {
		ssc.Stop(false)
		return nil, fmt.Errorf("this executor's graph (fingerprint %s) differs from the driver's (%s): is the executor running the driver's build?", fp, sp.Fingerprint)
	}
	ssc.env.Shuffle = s.shuffle
	ssc.labelStages = true
	s.ssc, s.parallelism = ssc, sp.Parallelism
	return ssc, nil
}
