package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/hdfsstore"
)

// WithConf gives GetOrCreate (or NewContext, overriding its argument) a
// configuration.
func WithConf(c *conf.Conf) Option { return func(s *Context) { s.confOverride = c } }

// WithConfDefault gives key the value when the configuration does not set
// it: an application's own default (reliablecount turns the write-ahead log
// on with it), which the operator can still override with the key.
func WithConfDefault(key, value string) Option {
	return func(s *Context) { s.confDefaults = append(s.confDefaults, [2]string{key, value}) }
}

// GetOrCreate is Spark's StreamingContext.getOrCreate: it makes a context
// whose checkpoint directory is checkpointDir and runs setup on it to build
// the graph. When the directory holds a checkpoint, the context continues
// from it once started: same zero time, the batches that were pending or fell
// into the downtime re-run, inputs and state restored. The graph setup builds
// must be the one that wrote the checkpoint (same fingerprint); otherwise
// GetOrCreate fails with a *GraphChangedError, unless
// gostream.streaming.checkpoint.onGraphChange=discard, which moves the old
// checkpoint aside and starts afresh.
func GetOrCreate(checkpointDir string, batch time.Duration, setup Setup, opts ...Option) (*Context, error) {
	if checkpointDir == "" {
		return nil, errors.New("getOrCreate: the checkpoint directory is empty")
	}
	ssc, err := NewContext(nil, batch, opts...)
	if err != nil {
		return nil, err
	}
	ssc.Checkpoint(checkpointDir)
	if err := setup(ssc); err != nil {
		ssc.Stop(false)
		return nil, fmt.Errorf("setup: %w", err)
	}
	ssc.Checkpoint(checkpointDir) // the explicit directory wins over one setup set
	if err := ssc.recoverCheckpoint(context.Background()); err != nil {
		ssc.Stop(false)
		return nil, err
	}
	return ssc, nil
}

// GraphChangedError: the checkpoint was written by another DStream graph.
type GraphChangedError struct {
	Dir                string
	Removed, Added     []string // operator description lines only in the old / new graph
	OldPrint, NewPrint string   // fingerprints
}

func (e *GraphChangedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the checkpoint in %s was written by a different streaming graph (fingerprint %s, this binary's is %s):",
		e.Dir, e.OldPrint, e.NewPrint)
	for _, l := range e.Removed {
		fmt.Fprintf(&b, "\n  - %s", l)
	}
	for _, l := range e.Added {
		fmt.Fprintf(&b, "\n  + %s", l)
	}
	fmt.Fprintf(&b, "\nrun the binary that wrote it, or set %s=%s to move the checkpoint aside and start afresh (its state is not used)",
		conf.CheckpointOnGraphChange, conf.GraphChangeDiscard)
	return b.String()
}

// diffLines lists the lines only in old and only in new, in order.
func diffLines(old, new []string) (removed, added []string) {
	for _, l := range old {
		if !slices.Contains(new, l) {
			removed = append(removed, l)
		}
	}
	for _, l := range new {
		if !slices.Contains(old, l) {
			added = append(added, l)
		}
	}
	if len(removed) == 0 && len(added) == 0 && !slices.Equal(old, new) {
		removed, added = old, new // same lines, another order
	}
	return removed, added
}

// recoverCheckpoint reads the newest checkpoint of the context's checkpoint
// directory, if any, and prepares the context to continue from it.
func (c *Context) recoverCheckpoint(ctx context.Context) error {
	if err := c.Err(); err != nil {
		return err
	}
	if err := c.takeLease(ctx); err != nil {
		return err
	}
	fsys, dir, err := c.fileSystem(c.settings.checkpointDir)
	if err != nil {
		return fmt.Errorf("checkpoint directory %s: %w", c.settings.checkpointDir, err)
	}
	c.ckptFS = fsys
	rctx, cancel := context.WithTimeout(ctx, c.settings.storageTimeout())
	defer cancel()
	// The newest checkpoint whose state snapshots are all intact: each is
	// read and verified before the context commits to it.
	var (
		d      *checkpointData
		name   string // the file read: after a fallback, an older one or a .bk
		states []any  // d.Snapshots decoded
	)
	skipped, err := hdfsstore.ReadCheckpoints(rctx, fsys, dir, func(ck hdfsstore.Checkpoint) error {
		cd, err := unmarshalCheckpoint(ck.Path, ck.Payload)
		if err != nil {
			return err
		}
		if cd.Fingerprint == c.graph.fingerprint() {
			if states, err = c.readSnapshots(rctx, cd); err != nil {
				return fmt.Errorf("checkpoint %s: %w", ck.Path, err)
			}
		}
		d, name = cd, ck.Path
		return nil
	})
	for _, s := range skipped {
		c.log.Warn("checkpoint unusable, trying an older one", "err", s) // s names the file and what is wrong
	}
	if errors.Is(err, hdfsstore.ErrNoCheckpoint) {
		c.log.Info("no checkpoint: starting afresh", "dir", dir)
		if c.settings.receiverWAL {
			// A driver killed before its first checkpoint may have
			// acknowledged blocks: they are in the log, and no batch used them.
			if err := c.openReceiverWAL(rctx); err != nil {
				return err
			}
			return c.blocks.recover(rctx, &checkpointData{}, true)
		}
		return nil
	}
	if ce := (*hdfsstore.CorruptError)(nil); errors.As(err, &ce) {
		return damagedCheckpoint(dir, skipped)
	}
	if err != nil {
		return fmt.Errorf("recover from checkpoint: %w", err)
	}
	if fp := c.graph.fingerprint(); fp != d.Fingerprint {
		removed, added := diffLines(d.Graph, c.graph.describe())
		gerr := &GraphChangedError{Dir: dir, Removed: removed, Added: added, OldPrint: d.Fingerprint, NewPrint: fp}
		if c.conf.String(conf.CheckpointOnGraphChange) != conf.GraphChangeDiscard {
			return gerr
		}
		aside, err := c.discardCheckpoint(rctx, fsys, dir)
		if err != nil {
			return fmt.Errorf("discard the checkpoint of another graph: %w", err)
		}
		c.log.Warn("the checkpoint was written by a different graph; moved it aside and starting afresh",
			"movedTo", aside, "changes", strings.Join(append(prefixAll("- ", removed), prefixAll("+ ", added)...), "; "))
		return nil
	}
	if err := c.restore(rctx, d, states); err != nil {
		return fmt.Errorf("recover from checkpoint %s: %w", name, err)
	}
	c.recovered = d
	c.log.Info("recovering from checkpoint", "checkpoint", name, "lastCompleted", d.LastCompletedMs,
		"pending", len(d.PendingMs), "zero", d.ZeroMs)
	return nil
}

// DamagedCheckpointError: no checkpoint of the directory can be used,
// because each one, or a state snapshot it refers to, is damaged or missing.
// It unwraps to the *hdfsstore.CorruptError of every damaged file.
type DamagedCheckpointError struct {
	Dir     string
	Damaged []*hdfsstore.CorruptError // one per file
}

func (e *DamagedCheckpointError) Error() string {
	files := make([]string, len(e.Damaged))
	for i, ce := range e.Damaged {
		files[i] = fmt.Sprintf("%s %s (%s)", ce.Kind, ce.Path, ce.Problem)
	}
	return fmt.Sprintf("recover from checkpoint: no checkpoint in %s can be used, because these files are damaged: %s; "+
		"restore them from a backup and restart, or move the checkpoint directory aside to start afresh "+
		"(without its state, and without the receiver write-ahead log's unprocessed blocks, which live there too)",
		e.Dir, strings.Join(files, ", "))
}

func (e *DamagedCheckpointError) Unwrap() []error {
	errs := make([]error, len(e.Damaged))
	for i, ce := range e.Damaged {
		errs[i] = ce
	}
	return errs
}

// damagedCheckpoint makes the error of a directory whose every checkpoint
// was skipped, naming each damaged file once.
func damagedCheckpoint(dir string, skipped []error) error {
	e := &DamagedCheckpointError{Dir: dir}
	seen := map[string]bool{}
	var walk func(err error)
	walk = func(err error) {
		switch x := err.(type) {
		case *hdfsstore.CorruptError:
			if !seen[x.Path] {
				seen[x.Path] = true
				e.Damaged = append(e.Damaged, x)
			}
		case interface{ Unwrap() []error }:
			for _, err := range x.Unwrap() {
				walk(err)
			}
		case interface{ Unwrap() error }:
			walk(x.Unwrap())
		}
	}
	for _, s := range skipped {
		walk(s)
	}
	return e
}

func prefixAll(p string, lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = p + l
	}
	return out
}

// discardCheckpoint moves everything the engine keeps in dir into
// dir/discarded-<nowMs>, deleting nothing.
func (c *Context) discardCheckpoint(ctx context.Context, fsys hdfsstore.FS, dir string) (string, error) {
	aside := path.Join(dir, fmt.Sprintf("discarded-%d", c.clock.Now().UnixMilli()))
	if err := fsys.MkdirAll(ctx, aside, 0o755); err != nil {
		return "", err
	}
	infos, err := fsys.ReadDir(ctx, dir)
	if err != nil {
		return "", err
	}
	for _, info := range infos {
		name := info.Name()
		ours := strings.HasPrefix(strings.TrimPrefix(name, hdfsstore.TempPrefix), "checkpoint-") ||
			name == "state" || name == "receivedData" || name == "receivedBlockMetadata"
		if !ours {
			continue
		}
		if err := fsys.Rename(ctx, path.Join(dir, name), path.Join(aside, name)); err != nil {
			return "", err
		}
	}
	return aside, nil
}

// readSnapshots reads and decodes the state snapshots d refers to, in
// order. Snapshots that are missing or damaged fail with their
// *hdfsstore.CorruptErrors joined, each naming its file (recovery then tries
// an older checkpoint); other failures are returned as they are.
func (c *Context) readSnapshots(ctx context.Context, d *checkpointData) ([]any, error) {
	byID := c.nodesByID()
	states := make([]any, len(d.Snapshots))
	var damaged []error
	for i, s := range d.Snapshots {
		n := byID[s.Node]
		if n == nil {
			return nil, fmt.Errorf("the checkpoint holds state of operator #%d, which does not exist", s.Node)
		}
		b, err := hdfsstore.ReadFile(ctx, c.ckptFS, s.Path)
		if errors.Is(err, fs.ErrNotExist) {
			damaged = append(damaged, &hdfsstore.CorruptError{Kind: hdfsstore.KindSnapshot, Path: s.Path,
				Problem: hdfsstore.ProblemMissing, Detail: fmt.Sprintf("state of %s (#%d) at %d", n.kind, n.id, s.TimeMs)})
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("state of %s (#%d) at %d: %w", n.kind, n.id, s.TimeMs, err)
		}
		states[i], err = n.typed.decode(s.Path, b)
		if ce := (*hdfsstore.CorruptError)(nil); errors.As(err, &ce) {
			damaged = append(damaged, ce)
		} else if err != nil {
			return nil, fmt.Errorf("state of %s (#%d) at %d in %s: %w", n.kind, n.id, s.TimeMs, s.Path, err)
		}
	}
	return states, errors.Join(damaged...)
}

func (c *Context) nodesByID() map[int]*node {
	byID := map[int]*node{}
	for _, n := range c.graph.nodes {
		byID[n.id] = n
	}
	return byID
}

// restore puts back what the checkpoint saved: zero time, input progress,
// state snapshots (states: d.Snapshots read by readSnapshots) and receiver
// blocks. A snapshot may be older than the last completed batch
// (checkpoint_interval.go): the first batch generated after the restart asks
// each state for its previous RDD down to the snapshot, so the completed
// batches after it are recomputed for the state only.
func (c *Context) restore(ctx context.Context, d *checkpointData, states []any) error {
	c.graph.zero = time.UnixMilli(d.ZeroMs)
	c.initRemember() // the tracker keeps the recovered batches windows still read
	byID := c.nodesByID()
	for id, raw := range d.Inputs {
		n := byID[id]
		if n == nil || n.input == nil || n.input.restoreProgress == nil {
			return fmt.Errorf("the checkpoint holds progress of operator #%d, which is no input here", id)
		}
		if err := n.input.restoreProgress(raw, d.LastCompletedMs); err != nil {
			return err
		}
	}
	for i, s := range d.Snapshots {
		byID[s.Node].restoreRDD(s.TimeMs, states[i])
	}
	if c.settings.receiverWAL {
		if err := c.openReceiverWAL(ctx); err != nil {
			return err
		}
		if err := c.blocks.recover(ctx, d, false); err != nil {
			return err
		}
	}
	return nil
}

func (c *Context) openReceiverWAL(ctx context.Context) error {
	if c.blocks.wal != nil {
		return nil
	}
	fsys, dir, err := c.fileSystem(c.settings.checkpointDir)
	if err != nil {
		return err
	}
	reportErr := func(err error) {
		if derr := (*DamagedBlockError)(nil); errors.As(err, &derr) {
			c.log.Error("receiver write-ahead log: skipped a damaged block", "segment", derr.Err.Path,
				"stream", derr.Stream, "batch", derr.BatchMs, "records", derr.Records, "err", err)
		} else {
			c.log.Warn("receiver write-ahead log", "err", err)
		}
		c.bus.post(func(l Listener) {
			l.OnReceiverError(ReceiverInfo{StreamID: -1, Name: "write-ahead log", Active: true, LastErr: err})
		})
	}
	w, err := openReceiverWAL(ctx, fsys, dir, c.clock, c.settings.storageTimeout(),
		c.conf.Bool(conf.ReceiverWALSkipDamaged), reportErr)
	if err != nil {
		return err
	}
	w.written = c.walWritten
	c.blocks.wal = w
	return nil
}

// recoveryTimes returns the batches to re-create — the pending ones and every
// batch time after the checkpoint up to now (Spark's rule) — and the first
// batch time after them.
func (c *Context) recoveryTimes(d *checkpointData) (first time.Time, redo []time.Time) {
	c.graph.zero = time.UnixMilli(d.ZeroMs)
	now := c.clock.Now()
	seen := map[int64]bool{}
	for _, ms := range d.PendingMs {
		if ms > d.LastCompletedMs && !seen[ms] {
			seen[ms] = true
			redo = append(redo, time.UnixMilli(ms))
		}
	}
	t := time.UnixMilli(d.LastGeneratedMs).Add(c.batch)
	for ; !t.After(now); t = t.Add(c.batch) {
		if !seen[t.UnixMilli()] {
			redo = append(redo, t)
		}
	}
	slices.SortFunc(redo, func(a, b time.Time) int { return a.Compare(b) })
	c.log.Info("re-running batches after restart", "pending", len(d.PendingMs), "downtime", len(redo)-len(d.PendingMs),
		"firstNew", t.UnixMilli())
	return t, redo
}

// startCheckpointing starts the checkpointer when there is a checkpoint directory.
func (c *Context) startCheckpointing() error {
	if c.settings.checkpointDir == "" {
		if c.settings.receiverWAL {
			return fmt.Errorf("%s needs a checkpoint directory: call Checkpoint(dir) or set %s",
				conf.ReceiverWALEnable, conf.CheckpointDirectory)
		}
		return nil
	}
	lctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
	err := c.takeLease(lctx)
	cancel()
	if err != nil {
		return err
	}
	ck, err := newCheckpointer(c)
	if err != nil {
		return err
	}
	if err := ck.probe(); err != nil {
		return err
	}
	if c.settings.receiverWAL {
		ctx, cancel := context.WithTimeout(context.Background(), c.settings.storageTimeout())
		err := c.openReceiverWAL(ctx)
		cancel()
		if err != nil {
			return err
		}
	}
	if c.recovered != nil {
		ck.resume(c.recovered)
	}
	c.ckpt = ck
	go ck.run()
	return nil
}

// checkpointedRDDs returns the RDDs of batch t the checkpointer saves.
func (c *Context) checkpointedRDDs(t time.Time) map[*node]any {
	var m map[*node]any
	for _, n := range c.graph.nodes {
		if !n.checkpointed() {
			continue
		}
		if r := n.rddAtMs(t.UnixMilli()); r != nil {
			if m == nil {
				m = map[*node]any{}
			}
			m[n] = r
		}
	}
	return m
}

// loadBlock returns a block of batch bt's data, reading it back from the WAL
// if needed.
func (c *Context) loadBlock(b *receivedBlock, bt time.Time) (any, error) {
	if !b.recovered {
		return b.data, nil
	}
	fsys := c.ckptFS
	if fsys == nil {
		var err error
		if fsys, _, err = c.fileSystem(c.settings.checkpointDir); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.settings.storageTimeout())
	defer cancel()
	return c.blocks.load(ctx, fsys, b, bt)
}
