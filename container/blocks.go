package container

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/gostream/gostream/engine/cluster"
	"github.com/gostream/gostream/engine/task"
)

// The driver's side of the blocks receivers keep on executors: it reads
// them from their holders for its own tasks, tells holders to drop those no
// batch reads any more, and says which holders are lost.

// ReadBlock implements cluster.ReceiverHost: a block read from the executor
// holding it. A holder declared lost, or no longer registered, is not
// asked: the error wraps task.ErrExecutorLost at once.
func (e *Endpoint) ReadBlock(ctx context.Context, b cluster.BlockRef) ([]byte, error) {
	e.mu.Lock()
	_, registered := e.execs[b.Executor]
	e.mu.Unlock()
	if !registered {
		return nil, fmt.Errorf("block %s of stream %d: executor %s, which held it, is gone (%w)", b.ID, b.Stream, b.Executor, task.ErrExecutorLost)
	}
	return e.shuffle.ReadBlock(ctx, b)
}

// ExecutorLost implements cluster.ReceiverHost.
func (e *Endpoint) ExecutorLost(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, lost := e.lost[id]
	return lost
}

// ForgetBlocks implements cluster.ReceiverHost: each holder still
// registered is told to drop its blocks among blocks. Best effort, like
// ForgetShuffles: a holder that does not hear keeps them (logged).
func (e *Endpoint) ForgetBlocks(ctx context.Context, blocks []cluster.BlockRef) {
	ids := map[string][]string{}
	for _, b := range blocks {
		ids[b.Executor] = append(ids[b.Executor], b.ID)
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	var wg sync.WaitGroup
	for id, list := range ids {
		e.mu.Lock()
		x := e.execs[id]
		e.mu.Unlock()
		if x == nil {
			continue // gone with its blocks
		}
		data, err := json.Marshal(list)
		if err != nil {
			continue
		}
		wg.Go(func() {
			if _, err := x.peer.request(ctx, message{Op: opForgetBlocks, Data: data}); err != nil {
				e.log.Warn("an executor did not drop received blocks no batch reads; it keeps them until it is lost", "executor", id, "blocks", len(list), "err", err)
			}
		})
	}
	wg.Wait()
}

// bytesIn counts what the driver receives from executors.
type bytesIn struct {
	executors atomic.Int64 // on executors' connections: control, block metadata, task results
	shuffle   atomic.Int64 // map outputs and blocks the driver reads from executors
}

// BytesIn is what the driver has received from executors since it started,
// in bytes.
type BytesIn struct {
	// Executors: on the executors' connections (heartbeats, block
	// metadata, task replies, input reads' requests).
	Executors int64 `json:"executor_connections"`
	// Shuffle: map output buckets and blocks the driver read from
	// executors' shuffle servers for its own tasks.
	Shuffle int64 `json:"shuffle_reads"`
}

// BytesIn says how many bytes the driver received from executors.
func (e *Endpoint) BytesIn() BytesIn {
	return BytesIn{Executors: e.bytesIn.executors.Load(), Shuffle: e.bytesIn.shuffle.Load()}
}

// forgetBlocks answers forget_blocks: the driver no longer reads them.
func (r *executorReceivers) forgetBlocks(m message) (message, error) {
	var ids []string
	if err := json.Unmarshal(m.Data, &ids); err != nil {
		return message{}, fmt.Errorf("forget_blocks: %w", err)
	}
	r.blocks.drop(ids...)
	return message{}, nil
}
