package rdd

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
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

// TaskError is a failed task: its stage, partition and cause. A task that
// panicked carries the panic value and stack in Panic.
type TaskError struct {
	Stage     string
	Partition int
	Panic     string // non-empty when the task panicked; includes the stack
	Err       error
}

func (e *TaskError) Error() string {
	if e.Panic != "" {
		return fmt.Sprintf("task %s partition %d panicked: %v", e.Stage, e.Partition, e.Err)
	}
	return fmt.Sprintf("task %s partition %d: %v", e.Stage, e.Partition, e.Err)
}

func (e *TaskError) Unwrap() error { return e.Err }

// LocalBackend runs tasks on goroutines in this process, at most slots at once.
type LocalBackend struct {
	slots chan struct{}
}

// NewLocalBackend returns a backend with n task slots (n >= 1).
func NewLocalBackend(n int) *LocalBackend {
	if n < 1 {
		n = 1
	}
	return &LocalBackend{slots: make(chan struct{}, n)}
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
		return RunTask(ctx, tasks[0])
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
			if err := RunTask(ctx, t); err != nil {
				fail(err)
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// RunTask runs one task, turning a panic into a *TaskError. Backends that run
// tasks elsewhere call it on the executor.
func RunTask(ctx context.Context, t Task) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &TaskError{Stage: t.Stage, Partition: t.Partition,
				Panic: string(debug.Stack()), Err: fmt.Errorf("%v", r)}
		}
	}()
	if err := t.Run(ctx); err != nil {
		if _, ok := errors.AsType[*TaskError](err); ok {
			return err
		}
		return &TaskError{Stage: t.Stage, Partition: t.Partition, Err: err}
	}
	return nil
}
