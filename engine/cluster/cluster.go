// Package cluster is the seam between the engine and the processes that run
// its work away from the driver (on YARN: executor containers). Application
// authors never need it; runtimes do:
//
//   - the driver's engine runs tasks through a TaskHost and receivers
//     through a ReceiverHost (engine.WithTaskHost, engine.WithReceiverHost);
//     with neither, everything runs in the driver's process;
//   - an executor serves the driver's requests with an Executor, the
//     engine's copy of the application's graph that engine.NewExecutor
//     builds with the application's setup function.
//
// Go cannot ship closures, so what crosses between them is data: a task is
// an opaque spec that the executor's Executor turns back into the task by
// rebuilding the graph, and records travel encoded with their stream's
// codec. How a task fails is told with the task package's kinds
// (engine/task): an implementation of TaskHost returns errors that wrap
// task.ErrExecutorLost when the executor went away, and keeps the kind of
// the executor's own failures (task.Error, task.FetchFailedError,
// task.ErrAuth, task.ErrProtocol) across the wire.
package cluster

import (
	"context"

	"github.com/gostream/gostream/engine/rdd"
)

// Task is one task for an executor: a shuffle map task or an output's
// partition task. Spec is what the executor's Executor needs, opaque to the
// host.
type Task struct {
	Name      string // the stage's ref or the output, for messages
	Partition int
	Spec      []byte
}

// InputReader reads the driver's input partitions for a task running on an
// executor: the driver holds the received blocks (and their write-ahead
// log), the executor asks for the partitions its task reads.
type InputReader interface {
	ReadInput(ctx context.Context, req []byte) ([]byte, error)
}

// TaskHost runs tasks on executors (on YARN: container.Endpoint).
type TaskHost interface {
	// Cores is how many tasks the registered executors run at once; 0 when
	// there are none (tasks then run on the driver).
	Cores() int
	// RunTask runs one attempt of t on an executor with a free core
	// (waiting for one) and returns where a map task's output is (nothing
	// for an output's task). inputs serves the task's reads of input
	// partitions. An error wrapping task.ErrExecutorLost means the
	// executor went away; other errors keep the kind the executor gave
	// them (see the package doc).
	RunTask(ctx context.Context, t Task, inputs InputReader) (rdd.MapOutput, error)
	// ForgetShuffles tells every executor to drop the map outputs of
	// batches before beforeMs: no reduce task reads them any more.
	ForgetShuffles(ctx context.Context, beforeMs int64)
	// ReadBucket reads map outputs for the driver's reduce tasks.
	rdd.ShuffleReader
}

// MapResult is a task's output on the executor: for a map task one encoded
// bucket per reduce partition, kept there until the driver forgets BatchMs;
// nil Buckets for an output's task.
type MapResult struct {
	BatchMs int64
	Buckets [][]byte
}

// EncodedSink takes what a remote receiver stores, encoded with the
// stream's codec: on the driver it feeds the block generator; on the
// executor it forwards to the driver.
type EncodedSink interface {
	// Store adds records to the buffer the block generator cuts blocks from.
	Store(ctx context.Context, records []byte) error
	// StoreBlock stores records as one block and returns once it is safe
	// (see engine.Sink.StoreBlock); offset, when not nil, is the source's
	// position after the block (engine.OffsetSink).
	StoreBlock(ctx context.Context, records []byte, offset *string) error
	// ReportError tells the driver's listeners about a problem.
	ReportError(msg string)
}

// RemoteReceiver is one run of a receiver elsewhere, as the driver asks for
// it.
type RemoteReceiver struct {
	Stream int
	Name   string
	// Offset is the position after the newest block the driver holds for
	// the stream, when its source recorded one: the receiver resends from
	// there (engine.OffsetSink.RecoveredOffset).
	Offset *string
	Sink   EncodedSink
}

// ReceiverHost runs receivers away from the driver (on YARN: on executors).
type ReceiverHost interface {
	// RunReceiver runs r until the receiver returns or ctx ends. It returns
	// the receiver's error, or an error when the remote side was lost; the
	// engine then restarts the receiver, with backoff, as a local one.
	RunReceiver(ctx context.Context, r RemoteReceiver) error
}

// Executor is the engine's side of an executor: the application's graph,
// built with its setup function as the driver built it.
type Executor interface {
	// ServeReceiver runs the receiver of stream here until it returns or
	// ctx ends, forwarding what it stores to out; offset is what its
	// source's RecoveredOffset returns.
	ServeReceiver(ctx context.Context, stream int, offset *string, out EncodedSink) error
	// TaskRunner runs the driver's tasks here, reading other executors'
	// map outputs through shuffle.
	TaskRunner(shuffle rdd.ShuffleReader) TaskRunner
}

// TaskRunner runs tasks an executor was sent.
type TaskRunner interface {
	// RunTask rebuilds the task spec describes and runs one attempt of it,
	// reading the driver's input partitions through inputs. Its error has
	// the task's kind of failure (engine/task).
	RunTask(ctx context.Context, spec []byte, inputs InputReader) (MapResult, error)
}
