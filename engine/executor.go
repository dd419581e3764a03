package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine/cluster"
	"github.com/gostream/gostream/engine/rdd"
	"github.com/gostream/gostream/engine/task"
)

// The executor's half of the engine. Go cannot ship closures, so an
// executor runs the application's binary and builds the same graph with the
// same setup function; the driver then names what to run by position in
// the graph: a receiver by its stream, a task by its stream, batch and
// partition (remote_tasks.go says which tasks can run there).

// NewExecutor returns the engine's side of an executor for the
// application whose graph setup builds, under configuration c: it runs the
// receivers and tasks its driver sends (see engine/cluster). Runtimes call
// it; applications never need to. opts configure every Context the
// executor builds, for receivers and for tasks. A task runner's context
// never stops, so an executor process gives them all its one resolver
// (WithResolver), which it closes when it ends: its graphs share one set of
// HDFS connections.
func NewExecutor(c *conf.Conf, batch time.Duration, setup Setup, opts ...Option) cluster.Executor {
	return &executor{conf: c, batch: batch, setup: setup, opts: opts}
}

type executor struct {
	conf  *conf.Conf
	batch time.Duration
	setup Setup
	opts  []Option // for every context built here
}

// build makes a context with the executor's configuration and options,
// plus settings (key, value, …), and runs setup on it. Its master is
// local[1]: what runs here runs on the executor's own goroutines. The
// context never starts; stopping it closes its file systems.
func (x *executor) build(settings ...string) (*Context, error) {
	c := x.conf.Clone()
	settings = append([]string{conf.Master, "local[1]"}, settings...)
	for i := 0; i+1 < len(settings); i += 2 {
		if err := c.Set(settings[i], settings[i+1]); err != nil {
			return nil, err
		}
	}
	ssc, err := NewContext(c, x.batch, x.opts...)
	if err != nil {
		return nil, err
	}
	if err := x.setup(ssc); err != nil {
		ssc.Stop(false)
		return nil, fmt.Errorf("setup: %w", err)
	}
	return ssc, nil
}

// TaskRunner implements cluster.Executor.
func (x *executor) TaskRunner(shuffle rdd.ShuffleReader, blocks cluster.BlockReader) cluster.TaskRunner {
	return &taskServer{x: x, shuffle: shuffle, blocks: blocks}
}

// ServeReceiver implements cluster.Executor: setup builds the graph, as in
// the driver, and the stream's receiver runs with a block generator whose
// blocks out keeps, until it returns or ctx ends. Nothing else of the graph
// runs here.
func (x *executor) ServeReceiver(ctx context.Context, run cluster.ReceiverRun, out cluster.BlockKeeper) error {
	ssc, err := x.build()
	if err != nil {
		return err
	}
	defer ssc.Stop(false)
	for _, in := range ssc.graph.inputs {
		if rs, ok := in.(remoteServer); ok && rs.streamID() == run.Stream {
			return rs.serve(ctx, run, out)
		}
	}
	return fmt.Errorf("stream %d is not a receiver stream of this binary's graph: is the executor running the driver's build? (%w)", run.Stream, task.ErrProtocol)
}

// taskServer runs the tasks a remote driver sends: an executor's side of
// cluster.TaskHost. It builds the graph once, with setup, as the driver did.
type taskServer struct {
	x       *executor
	shuffle rdd.ShuffleReader
	blocks  cluster.BlockReader

	mu          sync.Mutex // the graph's generated RDDs are one task's at a time
	ssc         *Context
	parallelism int
}

// RunTask implements cluster.TaskRunner: it rebuilds the task's RDD,
// reading the batch's input partitions through env, then computes a map
// task's encoded buckets or runs an output's partition function. A spec
// this graph cannot run (another build's, or malformed) is a protocol
// error: no attempt elsewhere would do better.
func (s *taskServer) RunTask(ctx context.Context, spec []byte, env cluster.InputReader) (cluster.MapResult, error) {
	var sp taskSpec
	if err := json.Unmarshal(spec, &sp); err != nil {
		return cluster.MapResult{}, fmt.Errorf("task spec: %w (%w)", err, task.ErrProtocol)
	}
	name := sp.Stage
	if sp.Output != nil {
		name = fmt.Sprintf("output %d at %d", *sp.Output, sp.Ms)
	}
	run, err := s.rebuild(sp, env)
	if err != nil {
		return cluster.MapResult{}, fmt.Errorf("task %s partition %d: %w", name, sp.Partition, err)
	}
	var buckets [][]byte
	err = rdd.RunTask(ctx, rdd.Task{Stage: name, Partition: sp.Partition, Run: func(ctx context.Context) error {
		var err error
		buckets, err = run(ctx)
		return err
	}})
	if err != nil {
		return cluster.MapResult{}, err
	}
	return cluster.MapResult{BatchMs: sp.Ms, Buckets: buckets}, nil
}

// rebuild generates the RDD of the task's stream at its batch, from input
// partitions read through env, sets where the shuffles it reads are, and
// returns the task's work. Each task gets RDDs of its own: the inputs it
// reads belong to its run on the driver.
func (s *taskServer) rebuild(sp taskSpec, env cluster.InputReader) (func(ctx context.Context) ([][]byte, error), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ssc, err := s.context(sp)
	if err != nil {
		return nil, err
	}
	g := &ssc.graph
	if sp.Node < 0 || sp.Node >= len(g.nodes) || !g.nodes[sp.Node].remoteOK {
		return nil, fmt.Errorf("stream #%d cannot be rebuilt on an executor (%w)", sp.Node, task.ErrProtocol)
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
			return nil, fmt.Errorf("#%d is not an input of this graph (%w)", in.Node, task.ErrProtocol)
		}
		n := g.nodes[in.Node]
		if len(in.Blocks) > 0 {
			if len(in.Blocks) != in.Parts {
				return nil, fmt.Errorf("input #%d has %d partitions and %d blocks (%w)", in.Node, in.Parts, len(in.Blocks), task.ErrProtocol)
			}
			n.restoreRDD(sp.Ms, n.typed.remoteInput(in.Parts, func(ctx context.Context, p int) ([]byte, error) {
				return readKeptBlock(ctx, ssc, s.blocks, sp.CheckpointDir, sp.Ms, in.Blocks, p)
			}))
			continue
		}
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
			return nil, fmt.Errorf("output %d of this graph does not run tasks on stream #%d (%w)", i, sp.Node, task.ErrProtocol)
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
		return nil, fmt.Errorf("no stage %s in the rebuilt RDD (%w)", sp.Stage, task.ErrProtocol)
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
			return fmt.Errorf("the driver sent no map outputs for upstream stage %s (%w)", st.Ref(), task.ErrProtocol)
		}
		if err := st.SetOutputs(outs); err != nil {
			return err
		}
	}
	return nil
}

// context is the graph built for the driver's parallelism (the number of
// shuffle partitions is fixed when the graph is built).
func (s *taskServer) context(sp taskSpec) (*Context, error) {
	if s.ssc != nil && s.parallelism == sp.Parallelism {
		return s.ssc, nil
	}
	ssc, err := s.x.build(conf.DefaultParallelism, strconv.Itoa(sp.Parallelism))
	if err != nil {
		return nil, err
	}
	if fp := ssc.graph.fingerprint(); fp != sp.Fingerprint {
		ssc.Stop(false)
		return nil, fmt.Errorf("this executor's graph (fingerprint %s) differs from the driver's (%s): is the executor running the driver's build? (%w)", fp, sp.Fingerprint, task.ErrProtocol)
	}
	ssc.env.Shuffle = s.shuffle
	ssc.labelStages = true
	s.ssc, s.parallelism = ssc, sp.Parallelism
	return ssc, nil
}
