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
// codec. Received blocks stay on the executor whose receiver cut them; the
// driver knows them by their metadata (BlockRef). How a task fails is told with the task package's kinds
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
	// Prefer is the executor holding the block the task reads, if any: the
	// host offers it there first (gostream.locality.wait).
	Prefer string
}

// InputReader reads the driver's input partitions for a task running on an
// executor: those of inputs the driver holds (queue and file streams,
// blocks recovered from the write-ahead log alone); blocks kept on
// executors are read through a BlockReader.
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

// BlockRef is a received block as the driver knows it: metadata only. The
// records stay on the executor whose receiver cut the block (its block
// store), and with the receiver write-ahead log also in a segment the
// executor wrote.
type BlockRef struct {
	Stream   int    `json:"stream"`
	ID       string `json:"id"`       // unique on its executor
	Executor string `json:"executor"` // the executor holding it
	Addr     string `json:"addr"`     // where that executor serves it (its shuffle server)
	Records  int    `json:"records"`
	Bytes    int    `json:"bytes"` // encoded with the stream's codec
	// WAL is where the write-ahead log holds the block; nil when it is off.
	WAL *WALRef `json:"wal,omitempty"`
	// Offset is a reliable receiver's position after the block.
	Offset *string `json:"offset,omitempty"`
}

// WALRef locates a block's record in a write-ahead log segment (the same
// fields as hdfsstore.RecordRef, which the engine converts it to).
type WALRef struct {
	Segment string `json:"segment"`
	Offset  int64  `json:"offset"`
	Length  uint32 `json:"length"`
}

// BlockSink is the driver's side of a remote receiver: it records the
// blocks the receiver's executor keeps.
type BlockSink interface {
	// AddBlock records b and returns once it is safe (with the write-ahead
	// log, in the driver's metadata log): only then may the executor tell a
	// reliable source that its records are stored.
	AddBlock(ctx context.Context, b BlockRef) error
	// ReportError tells the driver's listeners about a problem.
	ReportError(msg string)
}

// BlockKeeper is the executor's side of a receiver run: it keeps the
// blocks the receiver cuts and reports them to the driver.
type BlockKeeper interface {
	// Executor is this executor's id (the write-ahead log's segment names
	// carry it).
	Executor() string
	// Keep puts data, a block encoded with the stream's codec, in the
	// executor's block store (waiting while the store is at its bound),
	// then reports b, completed with its id, holder and size, to the
	// driver, and returns once the driver recorded it. A block the driver
	// did not record is dropped from the store and the error returned.
	Keep(ctx context.Context, b BlockRef, data []byte) error
	// ReportError tells the driver's listeners about a problem.
	ReportError(msg string)
}

// BlockReader reads blocks from the executors holding them. An error
// wrapping task.ErrExecutorLost means the holder is gone; one wrapping
// task.ErrOutputMissing that it no longer holds the block.
type BlockReader interface {
	ReadBlock(ctx context.Context, b BlockRef) ([]byte, error)
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
	// WALDir is the checkpoint directory in which the executor writes its
	// blocks' write-ahead log before reporting them; empty when the log
	// is off.
	WALDir string
	Sink   BlockSink
}

// ReceiverRun is what an executor is told of a receiver to run.
type ReceiverRun struct {
	Stream int
	Offset *string // what the source's RecoveredOffset returns
	WALDir string  // see RemoteReceiver
}

// ReceiverHost runs receivers away from the driver (on YARN: on executors).
type ReceiverHost interface {
	// RunReceiver runs r until the receiver returns or ctx ends. It returns
	// the receiver's error, or an error when the remote side was lost; the
	// engine then restarts the receiver, with backoff, as a local one.
	RunReceiver(ctx context.Context, r RemoteReceiver) error
	// BlockReader reads the blocks remote receivers kept, for the
	// driver's own tasks.
	BlockReader
	// ForgetBlocks tells the executors holding blocks to drop them: no
	// batch reads them any more.
	ForgetBlocks(ctx context.Context, blocks []BlockRef)
	// ExecutorLost says whether the executor with id was declared lost:
	// the blocks it held can be read only from the write-ahead log.
	ExecutorLost(id string) bool
}

// Executor is the engine's side of an executor: the application's graph,
// built with its setup function as the driver built it.
type Executor interface {
	// ServeReceiver runs the receiver of r.Stream here until it returns or
	// ctx ends, cutting blocks as the driver's block generator does and
	// keeping them with out.
	ServeReceiver(ctx context.Context, r ReceiverRun, out BlockKeeper) error
	// TaskRunner runs the driver's tasks here, reading other executors'
	// map outputs through shuffle and receiver blocks through blocks.
	TaskRunner(shuffle rdd.ShuffleReader, blocks BlockReader) TaskRunner
}

// TaskRunner runs tasks an executor was sent.
type TaskRunner interface {
	// RunTask rebuilds the task spec describes and runs one attempt of it,
	// reading the driver's input partitions through inputs. Its error has
	// the task's kind of failure (engine/task).
	RunTask(ctx context.Context, spec []byte, inputs InputReader) (MapResult, error)
}
