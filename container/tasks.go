package container

import (
	"context"
	"fmt"
	"sync"

	"github.com/gostream/gostream/engine/cluster"
	"github.com/gostream/gostream/engine/rdd"
	"github.com/gostream/gostream/engine/task"
)

// The driver's side of remote map tasks: the Endpoint is the engine's
// TaskHost. A task holds one core of an executor from run_task until its
// reply; while it runs, its reads of input partitions come back as
// read_input requests with its run id.

var _ cluster.TaskHost = (*Endpoint)(nil)

// taskRun is a map task running on an executor, as the driver sees it.
type taskRun struct {
	ctx    context.Context // the task's: its reads of the input end with it
	inputs cluster.InputReader
}

// taskSlots is how many tasks x runs at once: none when it serves no map
// outputs (it was started without tasks).
func (x *executorConn) taskSlots() int {
	if x.info.ShuffleAddr == "" || x.info.NoTasks {
		return 0
	}
	return max(x.info.Cores, 1)
}

// Cores is how many tasks the registered executors run at once.
func (e *Endpoint) Cores() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, x := range e.execs {
		n += x.taskSlots()
	}
	return n
}

// RunTask runs t on the least loaded executor with a free core, waiting
// for one, and returns where the executor keeps a map task's output (an
// output's task keeps none: the key is empty).
func (e *Endpoint) RunTask(ctx context.Context, t cluster.Task, inputs cluster.InputReader) (rdd.MapOutput, error) {
	if err := tooLarge("a task's spec", len(t.Spec)); err != nil {
		return rdd.MapOutput{}, fmt.Errorf("task %d of %s: %w", t.Partition, t.Name, err)
	}
	x, id, err := e.placeTask(ctx, t, inputs)
	if err != nil {
		return rdd.MapOutput{}, fmt.Errorf("task %d of %s: waiting for an executor: %w", t.Partition, t.Name, err)
	}
	// No timeout but ctx: a task takes what it takes, and the executor's
	// heartbeats (or their absence) say whether it is still there.
	r, err := x.peer.request(ctx, message{Op: opRunTask, Run: id, Data: t.Spec})
	switch {
	case err == nil:
	case ctx.Err() != nil:
		e.goCancelTask(x, id)
		err = fmt.Errorf("task %d of %s on executor %s: %w", t.Partition, t.Name, x.info.ID, ctx.Err())
	case isRemote(err):
		err = fmt.Errorf("task %d of %s on executor %s: %w", t.Partition, t.Name, x.info.ID, err)
	default:
		err = fmt.Errorf("task %d of %s: executor %s: %w (%w)", t.Partition, t.Name, x.info.ID, err, task.ErrExecutorLost)
	}
	e.taskEnded(x, id, task.StateOf(ctx, err))
	if err != nil {
		return rdd.MapOutput{}, err
	}
	return rdd.MapOutput{Executor: x.info.ID, Addr: x.info.ShuffleAddr, Key: r.Key}, nil
}

// placeTask takes a core for t and registers the run: on t.Prefer, the
// executor holding its input, when it has a free core within the locality
// wait; else on the least loaded executor with one free (ties: the lowest
// id).
func (e *Endpoint) placeTask(ctx context.Context, t cluster.Task, inputs cluster.InputReader) (x *executorConn, id int64, err error) {
	take := func(c *executorConn) bool {
		e.nextRun++
		id, x = e.nextRun, c
		x.tasks[id] = &taskRun{ctx: ctx, inputs: inputs}
		return true
	}
	free := func(c *executorConn) bool { return c != nil && len(c.tasks) < c.taskSlots() }
	if t.Prefer != "" && e.localityWait > 0 {
		wctx, cancel := context.WithTimeout(ctx, e.localityWait)
		// The wait's end is the preference's: then any executor will do.
		_ = e.await(wctx, func() bool {
			c := e.execs[t.Prefer]
			if c == nil || c.taskSlots() == 0 {
				return true // the holder cannot run it: any executor will
			}
			return free(c) && take(c)
		}, func() {
			e.log.Debug("task waits for a free core on the executor holding its input", "stage", t.Name, "partition", t.Partition, "executor", t.Prefer)
		})
		cancel()
		if x != nil || ctx.Err() != nil {
			return x, id, ctx.Err()
		}
	}
	err = e.await(ctx, func() bool {
		if c := e.execs[t.Prefer]; t.Prefer != "" && free(c) {
			return take(c)
		}
		var best *executorConn
		for _, c := range e.execs {
			if n := len(c.tasks); free(c) && (best == nil || n < len(best.tasks) || n == len(best.tasks) && c.info.ID < best.info.ID) {
				best = c
			}
		}
		return best != nil && take(best)
	}, func() {
		e.log.Debug("map task waits for a free executor core", "stage", t.Name, "partition", t.Partition)
	})
	return x, id, err
}

// goCancelTask tells x, in the background, to stop run id, which the
// driver no longer waits for. Best effort: if it does not hear, the task
// finishes for nothing.
func (e *Endpoint) goCancelTask(x *executorConn, id int64) {
	e.background.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), e.timeout)
		defer cancel()
		if _, err := x.peer.request(ctx, message{Op: opCancelTask, Run: id}); err != nil {
			e.log.Debug("cancelling a task failed", "executor", x.info.ID, "run", id, "err", err)
		}
	})
}

// taskEnded frees the task's core and counts how it ended.
func (e *Endpoint) taskEnded(x *executorConn, id int64, s task.State) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(x.tasks, id)
	switch s {
	case task.Succeeded:
		x.info.CompletedTasks++
	case task.Cancelled:
		x.info.CancelledTasks++
	default: // failed, or lost with the executor
		x.info.FailedTasks++
	}
	e.notify()
}

// readInput answers an executor's read of an input partition for one of the
// tasks it runs; the read ends with the task or the connection (ctx).
func (e *Endpoint) readInput(ctx context.Context, x *executorConn, m message) (message, error) {
	e.mu.Lock()
	run := x.tasks[m.Run]
	e.mu.Unlock()
	if run == nil {
		return message{}, fmt.Errorf("read_input for task run %d, which is not running on executor %s", m.Run, x.info.ID)
	}
	rctx, cancel := context.WithCancel(run.ctx)
	defer cancel()
	defer context.AfterFunc(ctx, cancel)()
	data, err := run.inputs.ReadInput(rctx, m.Data)
	if err != nil {
		return message{}, err
	}
	if err := tooLarge("an input partition", len(data)); err != nil {
		return message{}, fmt.Errorf("%w: give the input stream more partitions", err)
	}
	return message{Data: data}, nil
}

// ForgetShuffles tells every executor holding map outputs to drop those of
// batches before beforeMs. Best effort: an executor that does not answer in
// time keeps them until a later call reaches it, and it is logged.
func (e *Endpoint) ForgetShuffles(ctx context.Context, beforeMs int64) {
	e.mu.Lock()
	var xs []*executorConn
	for _, x := range e.execs {
		if x.info.ShuffleAddr != "" {
			xs = append(xs, x)
		}
	}
	e.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, x := range xs {
		wg.Go(func() {
			_, err := x.peer.request(ctx, message{Op: opForgetShuffles, Batch: beforeMs})
			e.forgetAnswered(x, beforeMs, err)
		})
	}
	wg.Wait()
}

// forgetAnswered logs how x answered a forget_shuffles. Every completed
// batch asks every executor, so one that stops answering fails a request
// per batch until it is declared lost, all at once: it is warned about on
// the first failure only, until a forget reaches it again.
func (e *Endpoint) forgetAnswered(x *executorConn, beforeMs int64, err error) {
	e.mu.Lock()
	wasFailing := x.forgetFailing
	x.forgetFailing = err != nil
	e.mu.Unlock()
	switch {
	case err != nil && !wasFailing:
		e.log.Warn("an executor did not drop old map outputs; it keeps them until it answers a later request (repeats are logged at debug level)",
			"executor", x.info.ID, "before_ms", beforeMs, "err", err)
	case err != nil:
		e.log.Debug("an executor still did not drop old map outputs", "executor", x.info.ID, "before_ms", beforeMs, "err", err)
	case wasFailing:
		e.log.Info("an executor drops old map outputs again", "executor", x.info.ID, "before_ms", beforeMs)
	}
}

// ReadBucket reads a bucket of a map output for the driver's reduce tasks.
func (e *Endpoint) ReadBucket(ctx context.Context, out rdd.MapOutput, reduce int) ([]byte, error) {
	return e.shuffle.ReadBucket(ctx, out, reduce)
}
