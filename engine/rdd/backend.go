package rdd

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/gostream/gostream/engine/task"
)

// Task is one unit of work: one partition of one stage.
type Task struct {
	Stage     string // what the task computes, for messages: "shuffle 3 map", "collect"
	Partition int
	Run       func(ctx context.Context) error
	// Remote, when set, lets a backend run the task in another process
	// instead (a shuffle map task of a labelled stage).
	Remote *RemoteTask
}

// RemoteTask is what a backend needs to run a map task elsewhere.
type RemoteTask struct {
	Stage Stage
	// Done records where the task's output went; the backend calls it
	// instead of Run.
	Done func(MapOutput)
}

// Backend runs tasks. The local backend runs them on goroutines of this
// process; the YARN backend runs them on executor containers. The scheduler
// above sees no difference.
type Backend interface {
	// Slots is how many tasks may run at once.
	Slots() int
	// RunTasks runs every task, at most Slots at once across all concurrent
	// calls, and returns the first failure (cancelling the tasks not yet done).
	RunTasks(ctx context.Context, tasks []Task) error
}

// LocalBackend runs tasks on goroutines in this process, at most slots at
// once, each until policy gives up on it (the slot is held meanwhile).
type LocalBackend struct {
	slots  chan struct{}
	policy task.Policy
}

// NewLocalBackend returns a backend with n task slots (n >= 1) that retries
// tasks as p says.
func NewLocalBackend(n int, p task.Policy) *LocalBackend {
	if n < 1 {
		n = 1
	}
	return &LocalBackend{slots: make(chan struct{}, n), policy: p}
}

// Slots implements Backend.
func (b *LocalBackend) Slots() int { return cap(b.slots) }

// RunTasks implements Backend.
func (b *LocalBackend) RunTasks(ctx context.Context, tasks []Task) error {
	if len(tasks) == 1 { // the common tiny case: skip the goroutine
		select {
		case b.slots <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		defer func() { <-b.slots }()
		return b.run(ctx, tasks[0])
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	fail := func(err error) {
		once.Do(func() { firstErr = err; cancel() })
	}
	for _, t := range tasks {
		select {
		case b.slots <- struct{}{}:
			if ctx.Err() != nil { // both were ready: give the slot back
				<-b.slots
				fail(ctx.Err())
			}
		case <-ctx.Done():
			fail(ctx.Err())
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-b.slots }()
			if err := b.run(ctx, t); err != nil {
				fail(err)
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// RunAttempt runs one attempt of t on a slot, without retrying: for a
// backend that retries tasks itself and runs some attempts here.
func (b *LocalBackend) RunAttempt(ctx context.Context, t Task) error {
	select {
	case b.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-b.slots }()
	return RunTask(ctx, t)
}

// run runs t here until it succeeds or the policy gives up.
func (b *LocalBackend) run(ctx context.Context, t Task) error {
	return b.policy.Run(ctx, func(ctx context.Context) error { return RunTask(ctx, t) })
}

// RunTask runs one attempt of a task, turning an error or a panic into a
// *task.Error (an error that already is one, or wraps a failure of another
// kind, is returned as it is). Backends that run tasks elsewhere call it on
// the executor.
func RunTask(ctx context.Context, t Task) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &task.Error{Stage: t.Stage, Partition: t.Partition,
				Panic: string(debug.Stack()), Err: fmt.Errorf("%v", r)}
		}
	}()
	if err := t.Run(ctx); err != nil {
		if _, ok := errors.AsType[*task.Error](err); ok || task.KindOf(err) != task.Own {
			return err
		}
		return &task.Error{Stage: t.Stage, Partition: t.Partition, Err: err}
	}
	return nil
}
