package engine

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/hdfsstore"
)

// checkpointer writes the driver's checkpoints on its own goroutine: after
// every generated batch and after every completed one (when batches come
// faster than checkpoints, consecutive events make one checkpoint). At a
// completed batch it first saves the state of the checkpointed nodes whose
// snapshot is due (state_snapshot.go, checkpoint_interval.go); a batch
// counts as completed only once they are written, so recovery restores each
// node's newest snapshot, recomputes the state of the completed batches
// after it, and re-runs only later batches.
//
// A checkpoint is named after the newest generated batch, so names only grow.
type checkpointer struct {
	ssc    *Context
	fsys   hdfsstore.FS
	dir    string
	retain int
	events chan ckptEvent
	done   chan struct{}

	// owned by run
	lastGen, lastDone int64
	pending           map[int64]bool           // generated, not completed (or its state not saved)
	snaps             map[int]map[int64]string // node → batch time → snapshot path
	history           []ckptNeeds              // what the retained checkpoints need, oldest first
	names             map[int64]bool           // checkpoint names written by this process
	failures          int                      // consecutive failed writes, for the log
	cleanedBefore     time.Time                // the last WAL cleaning's threshold
}

// ckptNeeds is the oldest data a written checkpoint refers to.
type ckptNeeds struct {
	name      int64 // checkpoint name (batch time)
	completed int64 // lastCompleted: blocks of later batches are needed
	snapshot  int64 // oldest snapshot referred to (0: none)
}

type ckptEvent struct {
	generated int64         // a batch was generated at this time, or
	completed int64         // a batch completed at this time
	rdds      map[*node]any // its checkpointed nodes' RDDs, to save
}

func newCheckpointer(ssc *Context) (*checkpointer, error) {
	fsys, dir, err := ssc.fileSystem(ssc.settings.checkpointDir)
	if err != nil {
		return nil, fmt.Errorf("checkpoint directory %s: %w", ssc.settings.checkpointDir, err)
	}
	return &checkpointer{
		ssc: ssc, fsys: fsys, dir: dir, retain: ssc.conf.Int(conf.CheckpointRetained),
		events: make(chan ckptEvent, 1024), done: make(chan struct{}),
		pending: map[int64]bool{}, snaps: map[int]map[int64]string{}, names: map[int64]bool{},
	}, nil
}

// resume continues from a recovered checkpoint.
func (c *checkpointer) resume(d *checkpointData) {
	c.lastGen, c.lastDone = d.LastGeneratedMs, d.LastCompletedMs
	for _, ms := range d.PendingMs {
		c.pending[ms] = true
	}
	for _, s := range d.Snapshots {
		c.snapshotTaken(s.Node, s.TimeMs, s.Path)
	}
	c.history = append(c.history, c.needs(d.LastGeneratedMs))
}

func (c *checkpointer) snapshotTaken(node int, ms int64, p string) {
	if c.snaps[node] == nil {
		c.snaps[node] = map[int64]string{}
	}
	c.snaps[node][ms] = p
}

// run handles events until the channel is closed; the Context owns it.
func (c *checkpointer) run() {
	defer close(c.done)
	for ev := range c.events {
		c.apply(ev)
		if len(c.events) == 0 {
			c.write()
		}
	}
}

// post hands an event to the checkpointer; it blocks while the queue is
// full, which slows batches down to the pace of checkpointing.
func (c *checkpointer) post(ev ckptEvent) { c.events <- ev }

func (c *checkpointer) opContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), c.ssc.settings.storageTimeout())
}

// probe writes and removes a file in the checkpoint directory, so that a
// directory this process may not write fails the start instead of every
// batch after it. Other failures (a NameNode restarting, say) are left to
// the checkpoints, which try again at every batch.
func (c *checkpointer) probe() error {
	ctx, cancel := c.opContext()
	defer cancel()
	name := path.Join(c.dir, ".gostream-write-probe-"+rand.Text())
	err := c.fsys.MkdirAll(ctx, c.dir, 0o755)
	if err == nil {
		err = hdfsstore.WriteFileAtomic(ctx, c.fsys, name, nil)
	}
	if err == nil {
		err = c.fsys.Remove(ctx, name)
	}
	if errors.Is(err, fs.ErrPermission) {
		return c.unwritable(err)
	}
	if err != nil {
		c.ssc.log.Warn("checkpoint directory: a test write failed; checkpoints will try again", "dir", c.dir, "err", err)
	}
	return nil
}

// refused stops the application when the checkpoint directory refuses a
// write: no later batch would fare better, and running on without
// checkpoints would lose the state and the WAL's progress on a restart.
func (c *checkpointer) refused(err error) bool {
	if errors.Is(err, hdfsstore.ErrFenced) {
		return true // another driver took the directory over: the lease keeper stops this one
	}
	if !errors.Is(err, fs.ErrPermission) {
		return false
	}
	c.ssc.fail(c.unwritable(err))
	return true
}

// unwritable is the error a checkpoint directory that refuses writes gives.
func (c *checkpointer) unwritable(err error) error {
	return unwritableDir(c.ssc.settings.checkpointDir, err)
}

func unwritableDir(dir string, err error) error {
	return fmt.Errorf("checkpoint directory %s cannot be written: %w; give the application's user write access to it, or choose another directory (%s)",
		dir, err, conf.CheckpointDirectory)
}

func (c *checkpointer) apply(ev ckptEvent) {
	switch {
	case ev.generated > 0:
		c.lastGen = max(c.lastGen, ev.generated)
		c.pending[ev.generated] = true
	case ev.completed > 0:
		if err := c.saveSnapshots(ev.completed, ev.rdds); err != nil {
			if c.refused(err) {
				return
			}
			// The batch stays pending: recovery re-runs it from older state.
			c.ssc.log.Error("checkpoint: cannot save state; the batch will be re-run after a restart",
				"batch", ev.completed, "err", err)
			return
		}
		delete(c.pending, ev.completed)
		c.lastDone = max(c.lastDone, ev.completed)
	}
}

func (c *checkpointer) saveSnapshots(ms int64, rdds map[*node]any) error {
	ctx, cancel := c.opContext()
	defer cancel()
	for n, r := range rdds {
		if !c.due(n, ms) {
			continue
		}
		b, err := n.typed.encode(ctx, r)
		if err != nil {
			return fmt.Errorf("snapshot of %s (#%d) at %d: %w", n.kind, n.id, ms, err)
		}
		if b == nil {
			continue
		}
		p := path.Join(c.dir, "state", fmt.Sprintf("%d-%d", n.id, ms))
		if err := c.fsys.MkdirAll(ctx, path.Dir(p), 0o755); err != nil {
			return fmt.Errorf("snapshot of %s (#%d): %w", n.kind, n.id, err)
		}
		if err := hdfsstore.WriteFileAtomic(ctx, c.fsys, p, b); err != nil {
			return fmt.Errorf("snapshot of %s (#%d) at %d: %w", n.kind, n.id, ms, err)
		}
		c.snapshotTaken(n.id, ms, p)
	}
	return nil
}

// due reports whether n's RDD of batch ms is saved: at the multiples of its
// interval since the zero time, and at any batch after a missed one (a
// failed write, or a time n had no RDD), so that no batch completes while
// n's newest snapshot is more than an interval old.
func (c *checkpointer) due(n *node, ms int64) bool {
	every := n.snapshotEvery.Milliseconds()
	if every <= 0 {
		return true
	}
	zero := c.ssc.graph.zero.UnixMilli()
	newest := zero
	for t := range c.snaps[n.id] {
		newest = max(newest, t)
	}
	return (ms-zero)%every == 0 || ms-newest > every
}

// snapshotRefs lists the snapshots a checkpoint written now refers to: each
// node's newest one at or before the last completed batch, and for a node
// with a snapshot span every one of that span.
func (c *checkpointer) snapshotRefs() []snapshotRef {
	var refs []snapshotRef
	for _, n := range c.ssc.graph.nodes {
		if !n.checkpointed() {
			continue
		}
		times := c.snaps[n.id]
		var newest int64
		for ms := range times {
			if ms <= c.lastDone && ms > newest {
				newest = ms
			}
		}
		for ms, p := range times {
			keep := ms == newest
			if n.snapshotSpan > 0 && ms <= c.lastDone && ms > c.lastDone-n.snapshotSpan.Milliseconds() {
				keep = true
			}
			if keep && ms > 0 {
				refs = append(refs, snapshotRef{Node: n.id, TimeMs: ms, Path: p})
			}
		}
	}
	slices.SortFunc(refs, func(a, b snapshotRef) int {
		if a.Node != b.Node {
			return a.Node - b.Node
		}
		return int(a.TimeMs - b.TimeMs)
	})
	return refs
}

func (c *checkpointer) needs(name int64) ckptNeeds {
	n := ckptNeeds{name: name, completed: c.lastDone}
	for _, r := range c.snapshotRefs() {
		if n.snapshot == 0 || r.TimeMs < n.snapshot {
			n.snapshot = r.TimeMs
		}
	}
	return n
}

// payload gathers what a checkpoint holds now.
func (c *checkpointer) payload() (*checkpointData, error) {
	ssc := c.ssc
	d := &checkpointData{
		Conf: ssc.conf.Environ(), Fingerprint: ssc.graph.fingerprint(), Graph: ssc.graph.describe(),
		BatchMs: ssc.batch.Milliseconds(), ZeroMs: ssc.graph.zero.UnixMilli(),
		LastGeneratedMs: c.lastGen, LastCompletedMs: c.lastDone,
		Snapshots: c.snapshotRefs(),
	}
	for ms := range c.pending {
		d.PendingMs = append(d.PendingMs, ms)
	}
	slices.Sort(d.PendingMs)
	for _, n := range ssc.graph.nodes {
		if n.input == nil || n.input.saveProgress == nil {
			continue
		}
		raw, err := n.input.saveProgress()
		if err != nil {
			return nil, fmt.Errorf("progress of %s (#%d): %w", n.kind, n.id, err)
		}
		if d.Inputs == nil {
			d.Inputs = map[int]json.RawMessage{}
		}
		d.Inputs[n.id] = raw
	}
	d.Blocks = ssc.blocks.allocations()
	d.ReceiverOffsets = ssc.blocks.offsets()
	return d, nil
}

// write writes a checkpoint named after the newest generated batch, then
// removes what no retained checkpoint needs any more.
func (c *checkpointer) write() {
	if c.lastGen == 0 {
		return
	}
	d, err := c.payload()
	var b []byte
	if err == nil {
		b, err = d.marshal()
	}
	ctx, cancel := c.opContext()
	defer cancel()
	start := time.Now()
	if err == nil {
		err = hdfsstore.WriteCheckpoint(ctx, c.fsys, c.dir, time.UnixMilli(c.lastGen), b, c.retain)
		var pe *hdfsstore.PruneError
		if errors.As(err, &pe) {
			c.ssc.log.Warn("checkpoint written, removing old ones failed", "err", err)
			err = nil
		}
	}
	written := CheckpointWriteInfo{BatchTime: time.UnixMilli(c.lastGen), Duration: time.Since(start), Bytes: len(b), Err: err}
	c.ssc.bus.postRuntime(func(r RuntimeListener) { r.OnCheckpointWritten(written) })
	if err != nil {
		if c.refused(err) {
			return
		}
		c.failures++
		c.ssc.log.Error("checkpoint failed; the next batch tries again", "batch", c.lastGen, "failures", c.failures, "err", err)
		return
	}
	c.failures = 0
	c.names[c.lastGen] = true
	c.history = retainedNeeds(append(c.history, c.needs(c.lastGen)), c.retain)
	c.clean(ctx)
}

// retainedNeeds keeps the needs of the checkpoint files the directory still
// holds: the newest retain names, and of each its last two writes (the file
// and its .bk). A name may be written more than twice (batches completing
// while a later one is generated), so counting writes would not do.
func retainedNeeds(history []ckptNeeds, retain int) []ckptNeeds {
	writes := map[int64]int{}
	var kept []ckptNeeds
	for i := len(history) - 1; i >= 0; i-- {
		h := history[i]
		if writes[h.name] == 0 && len(writes) == retain {
			break // names only grow: every earlier entry is of a pruned name
		}
		if writes[h.name]++; writes[h.name] <= 2 {
			kept = append(kept, h)
		}
	}
	slices.Reverse(kept)
	return kept
}

// clean removes snapshots, WAL segments and metadata records older than
// anything a retained checkpoint refers to. Until this process has written
// as many checkpoints as are retained, older ones (whose needs it does not
// know) may still be read back, so it removes nothing.
func (c *checkpointer) clean(ctx context.Context) {
	if len(c.names) < c.retain {
		return
	}
	oldest := c.history[0]
	for _, h := range c.history {
		oldest.completed = min(oldest.completed, h.completed)
		if h.snapshot > 0 && (oldest.snapshot == 0 || h.snapshot < oldest.snapshot) {
			oldest.snapshot = h.snapshot
		}
	}
	if oldest.snapshot > 0 {
		if err := c.cleanSnapshots(ctx, oldest.snapshot); err != nil {
			c.ssc.log.Warn("checkpoint: removing old state snapshots failed", "err", err)
		}
	}
	// A checkpoint needs the blocks of the batches after its last completed
	// one, and of the completed batches a window still reads (the tracker's
	// retention). A block's segment is stamped when it is written, just
	// before the block is tracked; the first batch generated after that
	// takes it. So a block still needed was written at most one batch (plus
	// a slow write) before the oldest of those batches.
	oldestBatch := time.UnixMilli(oldest.completed).Add(-c.ssc.blocks.maxRetention())
	before := oldestBatch.Add(-c.ssc.batch - time.Second)
	if before.Sub(c.cleanedBefore) < c.ssc.batch { // once per batch is enough
		return
	}
	c.cleanedBefore = before
	if err := c.ssc.blocks.clean(ctx, before); err != nil {
		c.ssc.log.Warn("checkpoint: removing old write-ahead log data failed", "err", err)
	}
}

// cleanSnapshots removes snapshot files of batches before ms.
func (c *checkpointer) cleanSnapshots(ctx context.Context, ms int64) error {
	dir := path.Join(c.dir, "state")
	infos, err := c.fsys.ReadDir(ctx, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, info := range infos {
		name := strings.TrimPrefix(info.Name(), hdfsstore.TempPrefix)
		_, at, ok := strings.Cut(name, "-")
		t, err := strconv.ParseInt(at, 10, 64)
		if !ok || err != nil || t >= ms {
			continue
		}
		if err := c.fsys.Remove(ctx, path.Join(dir, info.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	for _, times := range c.snaps {
		for t := range times {
			if t < ms {
				delete(times, t)
			}
		}
	}
	return errors.Join(errs...)
}
