package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/cluster"
	"github.com/gostream/gostream/engine/task"
)

// inProcessHost runs receivers through ServeReceiver in this process, as an
// executor would: the setup function builds a second graph. Its first run
// is cut short as if the executor had been lost.
type inProcessHost struct {
	c     *conf.Conf
	batch time.Duration
	setup engine.Setup
	runs  atomic.Int32

	mu     sync.Mutex
	n      int
	blocks map[string][]byte // kept blocks, by id
}

func (h *inProcessHost) RunReceiver(ctx context.Context, rr cluster.RemoteReceiver) error {
	run := cluster.ReceiverRun{Stream: rr.Stream, Offset: rr.Offset, WALDir: rr.WALDir}
	keeper := memKeeper{h: h, sink: rr.Sink}
	if h.runs.Add(1) == 1 {
		lost, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		if err := engine.NewExecutor(h.c, h.batch, h.setup).ServeReceiver(lost, run, keeper); err != nil {
			return err
		}
		if ctx.Err() == nil {
			return errors.New("executor lost")
		}
		return nil
	}
	return engine.NewExecutor(h.c, h.batch, h.setup).ServeReceiver(ctx, run, keeper)
}

func (h *inProcessHost) ReadBlock(_ context.Context, b cluster.BlockRef) ([]byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	data, ok := h.blocks[b.ID]
	if !ok {
		return nil, fmt.Errorf("block %s not held (%w)", b.ID, task.ErrOutputMissing)
	}
	return data, nil
}

func (h *inProcessHost) ForgetBlocks(_ context.Context, blocks []cluster.BlockRef) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, b := range blocks {
		delete(h.blocks, b.ID)
	}
}

func (h *inProcessHost) ExecutorLost(string) bool { return false }

// memKeeper keeps an in-process receiver's blocks in its host.
type memKeeper struct {
	h    *inProcessHost
	sink cluster.BlockSink
}

func (k memKeeper) Executor() string { return "mem" }

func (k memKeeper) Keep(ctx context.Context, b cluster.BlockRef, data []byte) error {
	k.h.mu.Lock()
	if k.h.blocks == nil {
		k.h.blocks = map[string][]byte{}
	}
	k.h.n++
	b.ID, b.Executor, b.Addr = strconv.Itoa(k.h.n), "mem", "mem"
	k.h.blocks[b.ID] = data
	k.h.mu.Unlock()
	return k.sink.AddBlock(ctx, b)
}

func (k memKeeper) ReportError(msg string) { k.sink.ReportError(msg) }

// numbered stores blocks of consecutive numbers with their offset and
// resumes from RecoveredOffset; acked is the offset after its last
// acknowledged block.
type numbered struct {
	acked *atomic.Int64
}

func (n numbered) Receive(ctx context.Context, out engine.Sink[string]) error {
	sink := out.(engine.OffsetSink[string])
	next := 0
	if off, ok := sink.RecoveredOffset(); ok {
		next, _ = strconv.Atoi(off)
	}
	for ctx.Err() == nil {
		block := make([]string, 5)
		for i := range block {
			block[i] = strconv.Itoa(next + i)
		}
		if err := sink.StoreBlockWithOffset(ctx, block, strconv.Itoa(next+len(block))); err != nil {
			return nil
		}
		next += len(block)
		n.acked.Store(int64(next))
		time.Sleep(2 * time.Millisecond)
	}
	return nil
}

// Receivers run through a ReceiverHost: what they store reaches the
// driver's batches, and a receiver restarted after its executor was lost
// resumes after the driver's newest block, so nothing repeats or is lost.
func TestRemoteReceiverThroughHost(t *testing.T) {
	c := conf.Defaults()
	for k, v := range map[string]string{conf.Master: "local[2]", conf.ReceiverRestartDelay: "10ms", conf.BlockInterval: "20ms"} {
		if err := c.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	const batch = 50 * time.Millisecond
	var acked atomic.Int64
	var mu sync.Mutex
	seen := map[int]int{}
	setup := func(ssc *engine.Context) error {
		engine.ReceiverStream(ssc, "numbered", numbered{acked: &acked}).ForeachRDD(func(ctx context.Context, _ time.Time, r *engine.RDD[string]) error {
			items, err := r.Collect(ctx)
			mu.Lock()
			defer mu.Unlock()
			for _, s := range items {
				n, _ := strconv.Atoi(s)
				seen[n]++
			}
			return err
		})
		return nil
	}
	host := &inProcessHost{c: c, batch: batch, setup: setup}
	ssc, err := engine.NewContext(c, batch, engine.WithReceiverHost(host), engine.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	if err := setup(ssc); err != nil {
		t.Fatal(err)
	}
	if err := ssc.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(800 * time.Millisecond)
	ssc.Stop(true)
	if err := ssc.AwaitTermination(context.Background()); err != nil {
		t.Fatal(err)
	}

	if runs := host.runs.Load(); runs < 2 {
		t.Fatalf("the receiver ran %d times, want a restart after the lost executor", runs)
	}
	n := int(acked.Load())
	mu.Lock()
	defer mu.Unlock()
	if n == 0 || len(seen) != n {
		t.Fatalf("%d numbers acknowledged, %d distinct numbers processed", n, len(seen))
	}
	for i := range n {
		if seen[i] != 1 {
			t.Fatalf("number %d processed %d times, want once (of %d acknowledged)", i, seen[i], n)
		}
	}
}

// A stream id the executor's graph does not have is a clear error.
func TestServeReceiverUnknownStream(t *testing.T) {
	c := conf.Defaults()
	err := engine.NewExecutor(c, time.Second, func(ssc *engine.Context) error {
		engine.QueueStream(ssc, engine.NewQueue[int](), false).Print(1)
		return nil
	}).ServeReceiver(t.Context(), cluster.ReceiverRun{}, nil)
	if err == nil || !strings.Contains(err.Error(), "not a receiver stream") {
		t.Fatalf("err = %v", err)
	}
}
