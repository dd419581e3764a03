package container

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/gostream/gostream/engine/cluster"
	"github.com/gostream/gostream/engine/task"
)

// receiverRun is a receiver running on an executor, as the driver sees it.
type receiverRun struct {
	rr   cluster.RemoteReceiver
	done chan error // the receiver's outcome, once
}

// handle applies a request of executor x, which runs the receiver.
func (r *receiverRun) handle(ctx context.Context, x ExecutorInfo, m message) error {
	switch m.Op {
	case opBlock:
		var b cluster.BlockRef
		if err := json.Unmarshal(m.Data, &b); err != nil {
			return fmt.Errorf("block of receiver %q: %w", r.rr.Name, err)
		}
		// The block is where the connection says, whatever the line says.
		b.Stream, b.Executor, b.Addr = r.rr.Stream, x.ID, x.ShuffleAddr
		return r.rr.Sink.AddBlock(ctx, b)
	case opReport:
		r.rr.Sink.ReportError(m.Report)
		return nil
	case opReceiverDone:
		var err error
		if m.Error != "" {
			err = errors.New(m.Error)
		}
		select {
		case r.done <- err:
		default:
		}
		return nil
	}
	return fmt.Errorf("unknown request %q", m.Op)
}

// RunReceiver implements engine.ReceiverHost: it runs the receiver on the
// registered executor running the fewest receivers (waiting for one to
// register), until the receiver returns, ctx ends (the receiver is then
// stopped and hands over what it stored), or the executor is lost.
func (e *Endpoint) RunReceiver(ctx context.Context, rr cluster.RemoteReceiver) error {
	x, id, run, err := e.place(ctx, rr)
	if err != nil {
		return err
	}
	defer func() {
		e.mu.Lock()
		delete(x.runs, id)
		e.mu.Unlock()
	}()
	start := message{Op: opRunReceiver, Run: id, Stream: rr.Stream, Name: rr.Name, Offset: rr.Offset, WALDir: rr.WALDir}
	if _, err := x.peer.request(ctx, start); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		if isRemote(err) {
			return fmt.Errorf("start receiver %q on executor %s: %w", rr.Name, x.info.ID, err)
		}
		// No answer: the connection ended before the executor took the receiver.
		return fmt.Errorf("start receiver %q: executor %s: %w (%w)", rr.Name, x.info.ID, err, task.ErrExecutorLost)
	}
	e.log.Info("receiver running on an executor", "stream", rr.Stream, "receiver", rr.Name, "executor", x.info.ID, "host", x.info.Host)
	select {
	case err := <-run.done:
		return err
	case <-x.peer.done:
		return fmt.Errorf("receiver %q: executor %s: %w (%w)", rr.Name, x.info.ID, x.peer.closedErr(), task.ErrExecutorLost)
	case <-ctx.Done():
	}
	// Stopping: the receiver stops and its last blocks are still stored.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.timeout)
	defer cancel()
	if _, err := x.peer.request(sctx, message{Op: opStopReceiver, Run: id}); err != nil {
		return nil // the executor is gone: nothing more will come
	}
	select {
	case err := <-run.done:
		return err
	case <-x.peer.done:
	case <-sctx.Done():
		e.log.Warn("receiver did not stop in time", "stream", rr.Stream, "receiver", rr.Name, "executor", x.info.ID)
	}
	return nil
}

// place picks the executor for a receiver and registers the run.
func (e *Endpoint) place(ctx context.Context, rr cluster.RemoteReceiver) (x *executorConn, id int64, run *receiverRun, err error) {
	err = e.await(ctx, func() bool {
		if x = e.leastLoaded(); x == nil {
			return false
		}
		e.nextRun++
		id = e.nextRun
		run = &receiverRun{rr: rr, done: make(chan error, 1)}
		x.runs[id] = run
		return true
	}, func() {
		e.log.Info("receiver waits for an executor", "stream", rr.Stream, "receiver", rr.Name)
	})
	return x, id, run, err
}

// leastLoaded is the executor running the fewest receivers (ties: the
// lowest id), or nil. e.mu is held.
func (e *Endpoint) leastLoaded() *executorConn {
	var best *executorConn
	for _, x := range e.execs {
		if best == nil || len(x.runs) < len(best.runs) || len(x.runs) == len(best.runs) && x.info.ID < best.info.ID {
			best = x
		}
	}
	return best
}

// Receivers lists which executor runs each receiver, by stream.
func (e *Endpoint) Receivers() []ReceiverPlacement {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []ReceiverPlacement
	for _, x := range e.execs {
		for _, r := range x.runs {
			out = append(out, ReceiverPlacement{Stream: r.rr.Stream, Name: r.rr.Name, Executor: x.info.ID})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Stream < out[j].Stream })
	return out
}

// ReceiverPlacement is where a receiver runs.
type ReceiverPlacement struct {
	Stream   int    `json:"stream"`
	Name     string `json:"name"`
	Executor string `json:"executor"`
}

// ServeReceiverFunc runs a receiver in the executor until it returns or
// ctx ends, its blocks kept with out (the application's
// cluster.Executor.ServeReceiver).
type ServeReceiverFunc func(ctx context.Context, r cluster.ReceiverRun, out cluster.BlockKeeper) error

// executorReceivers are the receivers an executor runs for its driver.
type executorReceivers struct {
	id     string // the executor's
	peer   *peer
	serve  ServeReceiverFunc
	ctx    context.Context // ends with the connection
	blocks *blockStore

	mu   sync.Mutex
	runs map[int64]context.CancelFunc
	wg   sync.WaitGroup
}

// start answers run_receiver: the receiver runs until it returns, the
// driver stops it or the connection ends.
func (r *executorReceivers) start(m message) (message, error) {
	if r.serve == nil {
		return message{}, errors.New("this executor cannot run receivers")
	}
	ctx, cancel := context.WithCancel(r.ctx)
	r.mu.Lock()
	r.runs[m.Run] = cancel
	r.mu.Unlock()
	r.wg.Add(1)
	go r.run(ctx, cancel, m)
	return message{}, nil
}

// stop answers stop_receiver.
func (r *executorReceivers) stop(m message) (message, error) {
	r.mu.Lock()
	cancel := r.runs[m.Run]
	r.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	return message{}, nil
}

// run runs one receiver and tells the driver how it ended.
func (r *executorReceivers) run(ctx context.Context, cancel context.CancelFunc, m message) {
	defer r.wg.Done()
	err := r.serve(ctx, cluster.ReceiverRun{Stream: m.Stream, Offset: m.Offset, WALDir: m.WALDir},
		blockKeeper{r: r, run: m.Run})
	cancel()
	r.mu.Lock()
	delete(r.runs, m.Run)
	r.mu.Unlock()
	if r.ctx.Err() != nil {
		// This executor is going away, not the receiver ending: the driver
		// sees the connection end and restarts the receiver elsewhere. A
		// receiver_done here would read as "receiving is over".
		return
	}
	done := message{Op: opReceiverDone, Run: m.Run}
	if err != nil {
		done.Error = err.Error()
	}
	dctx, cancel := context.WithTimeout(r.ctx, r.peer.timeout)
	defer cancel()
	_, _ = r.peer.request(dctx, done)
}

// blockKeeper keeps a receiver run's blocks in the executor's block store
// and reports them to the driver (cluster.BlockKeeper).
type blockKeeper struct {
	r   *executorReceivers
	run int64
}

func (k blockKeeper) Executor() string { return k.r.id }

func (k blockKeeper) Keep(ctx context.Context, b cluster.BlockRef, data []byte) error {
	if err := tooLarge("a block", len(data)); err != nil {
		return fmt.Errorf("%w: store smaller blocks", err)
	}
	// The store's wait ends with the connection too: nobody would read it.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(k.r.ctx, cancel)()
	id, err := k.r.blocks.put(ctx, data)
	if err != nil {
		return err
	}
	b.ID, b.Bytes = id, len(data)
	meta, err := json.Marshal(b)
	if err == nil {
		_, err = k.r.peer.request(ctx, message{Op: opBlock, Run: k.run, Data: meta})
	}
	if err != nil {
		k.r.blocks.drop(id) // the driver did not record it: no batch reads it
		return fmt.Errorf("report a block to the driver: %w", err)
	}
	return nil
}

func (k blockKeeper) ReportError(msg string) {
	ctx, cancel := context.WithTimeout(k.r.ctx, k.r.peer.timeout)
	defer cancel()
	_, _ = k.r.peer.request(ctx, message{Op: opReport, Run: k.run, Report: msg})
}
