package container

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/gostream/gostream/engine/cluster"
	"github.com/gostream/gostream/engine/task"
)

// executorTasks runs the tasks the driver sends and keeps map tasks' outputs
// for the shuffle server.
type executorTasks struct {
	id     string
	peer   *peer
	runner cluster.TaskRunner // nil: this executor refuses tasks
	store  *shuffleStore
	ctx    context.Context // ends with the connection
	log    *slog.Logger
	ended  func(task.State, task.Kind) // ExecutorConfig.OnTaskEnded

	mu      sync.Mutex
	running map[int64]context.CancelFunc // by run: cancel_task ends the task
}

// run answers run_task once the task is done, with the key of its output.
// The peer runs it on a goroutine of its own.
func (t *executorTasks) run(m message) (message, error) {
	if t.runner == nil {
		return message{}, fmt.Errorf("executor %s cannot run map tasks: it was started without a task runner", t.id)
	}
	ctx, cancel := context.WithCancel(t.ctx)
	t.mu.Lock()
	t.running[m.Run] = cancel
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		delete(t.running, m.Run)
		t.mu.Unlock()
		cancel()
	}()
	res, err := t.runner.RunTask(ctx, m.Data, taskEnv{peer: t.peer, run: m.Run})
	if t.ended != nil {
		t.ended(task.StateOf(ctx, err), task.KindOf(err))
	}
	if err != nil && t.ctx.Err() != nil {
		// The task stopped because this executor is going away: to the
		// driver that is a lost executor, not the task's failure.
		return message{}, errNoReply
	}
	if err != nil {
		return message{}, err
	}
	// Refused now, a bucket too large to fetch is the task's error rather
	// than every reader's.
	for i, b := range res.Buckets {
		if err := tooLarge(fmt.Sprintf("shuffle bucket %d", i), len(b)); err != nil {
			return message{}, fmt.Errorf("%w: shuffle into more partitions", err)
		}
	}
	if res.Buckets == nil {
		return message{}, nil // an output's task: nothing to serve
	}
	return message{Key: t.store.put(res)}, nil
}

// cancel answers cancel_task: the driver stopped waiting for the run (its
// batch was cancelled), so its work and output are of no use.
func (t *executorTasks) cancel(m message) (message, error) {
	t.mu.Lock()
	stop := t.running[m.Run]
	t.mu.Unlock()
	if stop != nil {
		stop()
	}
	return message{}, nil
}

// forget answers forget_shuffles.
func (t *executorTasks) forget(m message) (message, error) {
	if n := t.store.forget(m.Batch); n > 0 {
		t.log.Debug("dropped map outputs", "executor", t.id, "outputs", n, "before_ms", m.Batch)
	}
	return message{}, nil
}

// taskEnv sends one task's reads of input partitions to the driver.
type taskEnv struct {
	peer *peer
	run  int64
}

func (e taskEnv) ReadInput(ctx context.Context, req []byte) ([]byte, error) {
	if err := tooLarge("an input read request", len(req)); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, e.peer.timeout)
	defer cancel()
	r, err := e.peer.request(ctx, message{Op: opReadInput, Run: e.run, Data: req})
	if err != nil {
		return nil, fmt.Errorf("read input from the driver: %w", err)
	}
	return r.Data, nil
}
