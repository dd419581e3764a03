package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/gostream/gostream/engine/cluster"
	"github.com/gostream/gostream/engine/rdd"
	"github.com/gostream/gostream/engine/task"
)

// Tasks may run away from the driver, as Spark runs them on executors. Go
// cannot ship a task's closures, so the executor runs the same binary,
// builds the same graph with the same setup function and rebuilds the RDD
// the task belongs to (executor.go). What it rebuilds from:
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

// WithTaskHost runs tasks on h's executors when it has any. A runtime's
// option (see engine/cluster): applications never need it.
func WithTaskHost(h cluster.TaskHost) Option { return func(s *Context) { s.taskHost = h } }

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
	// CheckpointDir is where the write-ahead log of the inputs' blocks is,
	// when it is on.
	CheckpointDir string `json:"checkpoint_dir,omitempty"`
}

// inputParts is an input's RDD at the task's batch: how many partitions,
// and when they are receiver blocks kept on executors, where each is (the
// executor reads them there, not from the driver).
type inputParts struct {
	Node   int                `json:"node"`
	Parts  int                `json:"parts"`
	Blocks []cluster.BlockRef `json:"blocks,omitempty"`
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
		parts := inputParts{Node: in.id, Parts: in.typed.parts(r)}
		if refs, ok := c.blockRefs(in, s.Ms); ok {
			parts.Blocks = refs
			if c.settings.receiverWAL {
				s.CheckpointDir = c.settings.checkpointDir
			}
		} else if c.blocks.hasRemoteAt(s.Ms, in.id) {
			return s, false // blocks are lost: the driver's read says which
		}
		s.Inputs = append(s.Inputs, parts)
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

// inputReader answers the reads of input partitions by the driver's tasks
// running on executors.
type inputReader struct{ c *Context }

// ReadInput implements cluster.InputReader: an executor reads a partition
// of an input's RDD of a batch not yet forgotten.
func (r inputReader) ReadInput(ctx context.Context, req []byte) ([]byte, error) {
	return r.c.readInput(ctx, req)
}

func (c *Context) readInput(ctx context.Context, req []byte) ([]byte, error) {
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
	c.toExecutors(func(ctx context.Context) { c.taskHost.ForgetShuffles(ctx, before) })
}

// toExecutors runs tell, a best-effort word to the executors, on a
// goroutine the context's workers own, bounded by the network timeout.
func (c *Context) toExecutors(tell func(ctx context.Context)) {
	c.workers.Add(1)
	go func() {
		defer c.workers.Done()
		ctx, cancel := context.WithTimeout(context.Background(), c.settings.networkTimeout)
		defer cancel()
		tell(ctx)
	}()
}

// remoteBackend runs the map tasks of labelled stages (and the partition
// tasks of outputs on remoteOK streams) on the task host's executors, and
// every other task, and every task while no executor is registered, on the
// driver's local backend.
type remoteBackend struct {
	ssc    *Context
	local  *rdd.LocalBackend
	host   cluster.TaskHost
	policy task.Policy
}

// remoteJob is a task the backend may run on an executor: spec describes it
// there (nil: it runs here), name in messages; done records where a map
// task's output went.
type remoteJob struct {
	task   rdd.Task
	name   string
	spec   []byte
	prefer string // the executor holding its input block, if any
	done   func(rdd.MapOutput)
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
				return fmt.Errorf("task %s partition %d: %w", t.Stage, t.Partition, err)
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
			return fmt.Errorf("task %s partition %d: %w", t.Stage, t.Partition, err)
		}
		jobs[i].name, jobs[i].spec, jobs[i].done = st.Ref(), spec, t.Remote.Done
		jobs[i].prefer = base.preferred(t.Partition)
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

// runRemote runs j on an executor until it succeeds or the policy gives
// up (engine/task): an attempt that fails with the task's own error runs
// again, on an executor; one lost with its executor runs elsewhere,
// uncounted; authentication, protocol and fetch failures fail the job.
// While no executor is registered, attempts run here.
func (b *remoteBackend) runRemote(ctx context.Context, j remoteJob) error {
	t := j.task
	return b.policy.Run(ctx, func(ctx context.Context) error {
		if b.host.Cores() == 0 {
			return b.local.RunAttempt(ctx, rdd.Task{Stage: t.Stage, Partition: t.Partition, Run: t.Run})
		}
		out, err := b.host.RunTask(ctx, cluster.Task{Name: j.name, Partition: t.Partition, Spec: j.spec, Prefer: j.prefer}, inputReader{b.ssc})
		if err == nil && j.done != nil {
			j.done(out)
		}
		return err
	})
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
			return fmt.Errorf("task %s partition %d: %w", op.kind, p, err)
		}
		jobs[p].name, jobs[p].spec, jobs[p].prefer = name, spec, base.preferred(p)
	}
	return b.run(ctx, jobs)
}
