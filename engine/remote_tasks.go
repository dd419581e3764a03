package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
// the task belongs to (ServeMapTasks). What it rebuilds from:
//
//   - the graph: an operator's id is its position, so both sides agree;
//   - the batch's input partitions: the executor reads them from the driver,
//     which holds the received blocks (and writes them to the WAL);
//   - the upstream shuffles: the task's spec lists where their map outputs
//     are, on executors that serve them to each other.
//
// Only shuffle map tasks of streams computed from their batch's input alone
// run remotely (inputs, narrow and keyed operators, unions and joins of
// those): windows, state, Transform and outputs stay on the driver, which
// reads the map outputs from the executors. Each shuffle map stage of such a
// stream is labelled with a ref, "<node>@<batch ms>/<k>", the same in every
// process that builds the RDD.

// ErrExecutorLost: the executor running a task or a receiver went away. A
// task that failed this way runs again on the driver.
var ErrExecutorLost = errors.New("executor lost")

// MapTask is one shuffle map task for an executor: Spec is what the
// executor's TaskServer needs, opaque to the host.
type MapTask struct {
	Stage     string // the stage's ref, for messages
	Partition int
	Spec      []byte
}

// InputServer answers an executor's reads of the driver's input partitions
// while one of the driver's map tasks runs there.
type InputServer interface {
	ReadInput(ctx context.Context, req []byte) ([]byte, error)
}

// TaskHost runs map tasks on executors (on YARN: container.Endpoint).
type TaskHost interface {
	// Cores is how many tasks the registered executors run at once; 0 when
	// there are none (tasks then run on the driver).
	Cores() int
	// RunMapTask runs t on an executor with a free core (waiting for one)
	// and returns where its output is. inputs serves the task's reads of
	// input partitions. An error wrapping ErrExecutorLost means the
	// executor went away; any other error is the task's.
	RunMapTask(ctx context.Context, t MapTask, inputs InputServer) (rdd.MapOutput, error)
	// ForgetShuffles tells every executor to drop the map outputs of
	// batches before beforeMs: no reduce task reads them any more.
	ForgetShuffles(ctx context.Context, beforeMs int64)
	// ReadBucket reads map outputs for the driver's reduce tasks.
	rdd.ShuffleReader
}

// WithTaskHost runs shuffle map tasks on h's executors when it has any.
func WithTaskHost(h TaskHost) Option { return func(s *Context) { s.taskHost = h } }

// TaskEnv is what an executor gives ServeMapTasks for one task: the reads of
// the driver's input partitions go to the driver that sent the task.
type TaskEnv interface {
	ReadInput(ctx context.Context, req []byte) ([]byte, error)
}

// MapResult is a map task's output on the executor: one encoded bucket per
// reduce partition, kept there until the driver forgets BatchMs.
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

// mapTaskSpec is what an executor needs to rebuild and run one map task.
type mapTaskSpec struct {
	Fingerprint string         `json:"fingerprint"` // of the driver's graph
	ZeroMs      int64          `json:"zero_ms"`
	Parallelism int            `json:"parallelism"`
	Stage       string         `json:"stage"`
	Partition   int            `json:"partition"`
	Inputs      []inputParts   `json:"inputs"`   // the inputs of the stage's stream at its batch
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

// specFor describes task p of st for an executor; ok is false when the task
// must run here (an input or upstream output this process holds).
func (c *Context) specFor(st rdd.Stage, p int) (spec []byte, ok bool, err error) {
	id, ms, err := parseRef(st.Ref())
	if err != nil {
		return nil, false, err
	}
	s := mapTaskSpec{Fingerprint: c.graph.fingerprint(), ZeroMs: c.graph.zero.UnixMilli(),
		Parallelism: c.settings.parallelism, Stage: st.Ref(), Partition: p}
	for _, in := range inputsOf(c.graph.nodes[id]) {
		r := in.rddAtMs(ms)
		if r == nil {
			return nil, false, nil
		}
		s.Inputs = append(s.Inputs, inputParts{Node: in.id, Parts: in.typed.parts(r)})
	}
	for _, up := range st.Upstream() {
		outs, ok := up.Outputs()
		if !ok {
			return nil, false, nil
		}
		s.Upstream = append(s.Upstream, stageOutputs{Stage: up.Ref(), Outputs: outs})
	}
	b, err := json.Marshal(s)
	return b, err == nil, err
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

// remoteBackend runs the map tasks of labelled stages on the task host's
// executors and every other task (and every task while no executor is
// registered) on the driver's local backend.
type remoteBackend struct {
	ssc   *Context
	local *rdd.LocalBackend
	host  TaskHost
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
	var here []rdd.Task
	type away struct {
		t    rdd.Task
		spec []byte
	}
	var there []away
	remote := b.host.Cores() > 0
	for _, t := range tasks {
		if remote && t.Remote != nil {
			spec, ok, err := b.ssc.specFor(t.Remote.Stage, t.Partition)
			if err != nil {
				return &rdd.TaskError{Stage: t.Stage, Partition: t.Partition, Err: err}
			}
			if ok {
				there = append(there, away{t, spec})
				continue
			}
		}
		here = append(here, t)
	}
	if len(there) == 0 {
		return b.local.RunTasks(ctx, here)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(there)+1)
	for _, a := range there {
		go func() { errs <- b.runRemote(ctx, a.t, a.spec) }()
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

// runRemote runs t on an executor. A task the executor could not run (it
// was lost, or failed) runs again here, as Spark retries a failed task;
// a task that fails here too fails the job.
func (b *remoteBackend) runRemote(ctx context.Context, t rdd.Task, spec []byte) error {
	out, err := b.host.RunMapTask(ctx, MapTask{Stage: t.Remote.Stage.Ref(), Partition: t.Partition, Spec: spec}, b.ssc)
	if err == nil {
		t.Remote.Done(out)
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	b.ssc.log.Warn("map task failed on an executor; running it on the driver",
		"stage", t.Remote.Stage.Ref(), "partition", t.Partition, "err", err)
	return b.local.RunTasks(ctx, []rdd.Task{{Stage: t.Stage, Partition: t.Partition, Run: t.Run}})
}

// TaskServer runs the map tasks a remote driver sends: an executor's side of
// TaskHost. It builds the graph once, with setup, as the driver did.
type TaskServer struct {
	conf    *conf.Conf
	batch   time.Duration
	setup   Setup
	shuffle rdd.ShuffleReader

	mu          sync.Mutex // the graph's generated RDDs are one task's at a time
	ssc         *Context
	parallelism int
}

// NewTaskServer returns a server that builds the graph with setup under
// configuration c and reads other executors' map outputs through shuffle.
func NewTaskServer(c *conf.Conf, batch time.Duration, setup Setup, shuffle rdd.ShuffleReader) *TaskServer {
	return &TaskServer{conf: c, batch: batch, setup: setup, shuffle: shuffle}
}

// RunMapTask runs the map task spec describes: it rebuilds the task's RDD,
// reading the batch's input partitions through env, and returns the task's
// encoded buckets.
func (s *TaskServer) RunMapTask(ctx context.Context, spec []byte, env TaskEnv) (MapResult, error) {
	var sp mapTaskSpec
	if err := json.Unmarshal(spec, &sp); err != nil {
		return MapResult{}, fmt.Errorf("map task spec: %w", err)
	}
	_, ms, err := parseRef(sp.Stage)
	if err != nil {
		return MapResult{}, err
	}
	st, err := s.rebuild(ctx, sp, env)
	if err != nil {
		return MapResult{}, fmt.Errorf("map task %s partition %d: %w", sp.Stage, sp.Partition, err)
	}
	var buckets [][]byte
	err = rdd.RunTask(ctx, rdd.Task{Stage: sp.Stage, Partition: sp.Partition, Run: func(ctx context.Context) error {
		var err error
		buckets, err = st.RunMapTask(ctx, sp.Partition)
		return err
	}})
	if err != nil {
		return MapResult{}, err
	}
	return MapResult{BatchMs: ms, Buckets: buckets}, nil
}

// rebuild generates the RDD of the task's stream at its batch, from input
// partitions read through env, and returns the task's stage with the
// upstream stages' outputs set. Each task gets RDDs of its own: the inputs
// it reads belong to its run on the driver.
func (s *TaskServer) rebuild(ctx context.Context, sp mapTaskSpec, env TaskEnv) (rdd.Stage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ssc, err := s.context(sp)
	if err != nil {
		return nil, err
	}
	id, ms, _ := parseRef(sp.Stage)
	if id < 0 || id >= len(ssc.graph.nodes) || !ssc.graph.nodes[id].remoteOK {
		return nil, fmt.Errorf("stream #%d cannot be rebuilt on an executor", id)
	}
	ssc.graph.zero = time.UnixMilli(sp.ZeroMs)
	for _, n := range ssc.graph.nodes {
		n.forgetAt(ms)
	}
	defer func() {
		for _, n := range ssc.graph.nodes {
			n.forgetAt(ms)
		}
	}()
	for _, in := range sp.Inputs {
		if in.Node < 0 || in.Node >= len(ssc.graph.nodes) || len(ssc.graph.nodes[in.Node].parents) > 0 {
			return nil, fmt.Errorf("#%d is not an input of this graph", in.Node)
		}
		n := ssc.graph.nodes[in.Node]
		n.restoreRDD(ms, n.typed.remoteInput(in.Parts, func(ctx context.Context, p int) ([]byte, error) {
			req, err := json.Marshal(inputRequest{Node: n.id, Ms: ms, Partition: p})
			if err != nil {
				return nil, err
			}
			return env.ReadInput(ctx, req)
		}))
	}
	r, err := ssc.graph.nodes[id].typed.rddAt(time.UnixMilli(ms))
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, fmt.Errorf("stream #%d has no RDD at %d", id, ms)
	}
	i := slices.IndexFunc(ssc.graph.nodes[id].typed.stages(r), func(st rdd.Stage) bool { return st.Ref() == sp.Stage })
	if i < 0 {
		return nil, fmt.Errorf("no stage %s in the rebuilt RDD", sp.Stage)
	}
	target := ssc.graph.nodes[id].typed.stages(r)[i]
	given := map[string][]rdd.MapOutput{}
	for _, u := range sp.Upstream {
		given[u.Stage] = u.Outputs
	}
	for _, up := range target.Upstream() {
		outs, ok := given[up.Ref()]
		if !ok {
			return nil, fmt.Errorf("the driver sent no map outputs for upstream stage %s", up.Ref())
		}
		if err := up.SetOutputs(outs); err != nil {
			return nil, err
		}
	}
	return target, nil
}

// context is the graph built for the driver's parallelism (the number of
// shuffle partitions is fixed when the graph is built).
func (s *TaskServer) context(sp mapTaskSpec) (*Context, error) {
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
	ssc, err := NewContext(c, s.batch)
	if err != nil {
		return nil, err
	}
	if err := s.setup(ssc); err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	if fp := ssc.graph.fingerprint(); fp != sp.Fingerprint {
		return nil, fmt.Errorf("this executor's graph (fingerprint %s) differs from the driver's (%s): is the executor running the driver's build?", fp, sp.Fingerprint)
	}
	ssc.env.Shuffle = s.shuffle
	ssc.labelStages = true
	s.ssc, s.parallelism = ssc, sp.Parallelism
	return ssc, nil
}
