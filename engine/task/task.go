// Package task is the engine's task model: the states a task attempt goes
// through, the kinds of failure kept apart, and the retry policy built on
// them. The local backend and the backend that runs tasks on executors use
// the same model, so a task fails, is retried or moves the same way in
// every mode.
//
// Failure kinds, told apart with errors.Is/As (KindOf):
//
//   - the task's own error (*Error: its code returned an error or
//     panicked): retried until MaxFailures attempts have failed, then the
//     batch fails with that error;
//   - executor lost (ErrExecutorLost: the process running the attempt went
//     away or stopped answering): the task runs elsewhere, and the attempt
//     is not counted;
//   - fetch failure (*FetchFailedError: a map output the task reads is gone
//     with its holder and could not be recomputed where it was read): the
//     batch fails with it, naming the stage; map outputs are recomputed from
//     their stage's parent where they are read, so this is the case where
//     that was not possible;
//   - authentication or protocol errors (ErrAuth, ErrProtocol): a peer
//     refused our credentials, or cannot act on what we sent (another
//     build, a malformed request). Retrying would fail the same way: they
//     are reported, not retried;
//   - cancelled (the batch's context ended): not a failure of the task;
//     the attempt's context tells, not its error (a task's own timeout is
//     its own error).
package task

import (
	"context"
	"errors"
	"fmt"
)

// State is where one task attempt is.
type State int

// The states of a task attempt. Pending and Running are live; the others
// are final.
const (
	Pending   State = iota // waiting for a slot
	Running                // on a slot, here or on an executor
	Succeeded              // done
	Failed                 // its own error, or an error it cannot be retried past
	Lost                   // its executor went away: it runs elsewhere
	Cancelled              // the batch no longer waits for it
)

var stateNames = [...]string{"pending", "running", "succeeded", "failed", "lost", "cancelled"}

func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return fmt.Sprintf("State(%d)", int(s))
	}
	return stateNames[s]
}

// ErrExecutorLost: the executor running a task or a receiver, or holding a
// map output, went away or stopped answering.
var ErrExecutorLost = errors.New("executor lost")

// ErrAuth: a peer refused our credentials, or we refused its.
var ErrAuth = errors.New("authentication failed")

// ErrProtocol: a peer cannot act on what it was sent, or sent what we
// cannot act on: a different build, a malformed message.
var ErrProtocol = errors.New("protocol error")

// ErrOutputMissing: an executor that is still there no longer holds a map
// output (it dropped it, or restarted). Like a lost holder, it is
// recomputed.
var ErrOutputMissing = errors.New("map output missing")

// Error is a task's own failure: its stage, partition and cause. A task
// that panicked carries the panic's stack in Panic.
type Error struct {
	Stage     string
	Partition int
	Panic     string // non-empty when the task panicked; includes the stack
	Err       error
}

func (e *Error) Error() string {
	if e.Panic != "" {
		return fmt.Sprintf("task %s partition %d panicked: %v", e.Stage, e.Partition, e.Err)
	}
	return fmt.Sprintf("task %s partition %d: %v", e.Stage, e.Partition, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// FetchFailedError: map output Map of stage Stage, held by Executor, could
// not be read and could not be recomputed by the reader.
type FetchFailedError struct {
	Stage    string
	Map      int
	Executor string
	Err      error
}

func (e *FetchFailedError) Error() string {
	return fmt.Sprintf("fetch failed: map output %d of %s on executor %s: %v", e.Map, e.Stage, e.Executor, e.Err)
}

func (e *FetchFailedError) Unwrap() error { return e.Err }

// Kind is the kind of a task attempt's failure.
type Kind int

// Failure kinds, in the order KindOf checks them.
const (
	None         Kind = iota // no error
	Auth                     // ErrAuth
	Protocol                 // ErrProtocol
	FetchFailed              // *FetchFailedError
	ExecutorLost             // ErrExecutorLost
	Own                      // anything else: the task's own error
)

var kindNames = [...]string{"none", "auth", "protocol", "fetch_failed", "executor_lost", "own"}

func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// KindOf tells what kind of failure err is. An error that is several (a
// fetch failure because the holder was lost) is the first in Kind's order:
// a task that could not fetch its input failed by fetching, whatever the
// holder did.
func KindOf(err error) Kind {
	switch {
	case err == nil:
		return None
	case errors.Is(err, ErrAuth):
		return Auth
	case errors.Is(err, ErrProtocol):
		return Protocol
	}
	if _, ok := errors.AsType[*FetchFailedError](err); ok {
		return FetchFailed
	}
	if errors.Is(err, ErrExecutorLost) {
		return ExecutorLost
	}
	return Own
}

// StateOf is the final state of an attempt that ended with err while its
// context was ctx.
func StateOf(ctx context.Context, err error) State {
	if err != nil && ctx.Err() != nil {
		return Cancelled
	}
	switch KindOf(err) {
	case None:
		return Succeeded
	case ExecutorLost:
		return Lost
	default:
		return Failed
	}
}
