package engine

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/hdfsstore"
)

// The receiver write-ahead log (gostream.streaming.receiver.writeAheadLog.enable).
//
// Layout under the checkpoint directory:
//
//	receivedData/<streamId>/recv-<streamId>-<startMs>-<endMs>-<seq>.wal
//	    one segment per block (a block is one block interval's records, or
//	    one StoreBlock call), holding one record: the block's items encoded
//	    by codec.go
//	receivedBlockMetadata/blocks-<ms>-<ms>-<seq>.wal
//	    the driver's metadata log (hdfsstore.Log): one JSON logRecord per
//	    segment — "add" (a block is durable; before it is tracked, so before
//	    StoreBlock returns), "alloc" (the blocks of one batch, all streams in
//	    one record, written before the batch runs), "clean" (data before a
//	    time was removed; carries the receivers' offsets so they outlive it)
//
// Recovery replays the log over the checkpoint's allocations: allocations
// of batches after the checkpoint's last completed batch come back as they
// were, and so do those of completed batches still within their stream's
// retention (windows and state replays after the restart read them); added
// blocks no batch took go to the first re-created batch without an
// allocation; the data is read back from the segments by record ref, when
// an RDD needs it.
// The checkpointer cleans segments and log records only once no retained
// checkpoint needs them (checkpointer.clean).
type receiverWAL struct {
	fsys        hdfsstore.FS
	root        string // the checkpoint directory
	log         *hdfsstore.Log
	clock       Clock
	timeout     time.Duration
	reportErr   func(error)
	skipDamaged bool // gostream.streaming.receiver.writeAheadLog.skipDamaged

	written func(WALWriteInfo) // hears every block write (the metrics)

	mu   sync.Mutex
	wals map[int]*hdfsstore.WAL
}

// logRecord is one record of the metadata log.
type logRecord struct {
	Type     string            `json:"t"` // "add", "alloc" or "clean"
	Stream   int               `json:"stream,omitempty"`
	Block    *blockMeta        `json:"block,omitempty"`
	BatchMs  int64             `json:"batchMs,omitempty"`
	Blocks   []allocatedBlocks `json:"blocks,omitempty"`
	BeforeMs int64             `json:"beforeMs,omitempty"`
	Offsets  map[int]string    `json:"offsets,omitempty"`
}

const blockLogName = "blocks"

func openReceiverWAL(ctx context.Context, fsys hdfsstore.FS, dir string, clock Clock, timeout time.Duration, skipDamaged bool, reportErr func(error)) (*receiverWAL, error) {
	log, err := hdfsstore.OpenLog(ctx, fsys, path.Join(dir, "receivedBlockMetadata"), blockLogName)
	if err != nil {
		return nil, fmt.Errorf("receiver write-ahead log in %s: %w", dir, err)
	}
	return &receiverWAL{fsys: fsys, root: dir, log: log, clock: clock,
		timeout: timeout, skipDamaged: skipDamaged, reportErr: reportErr, wals: map[int]*hdfsstore.WAL{}}, nil
}

func (w *receiverWAL) stream(id int) (*hdfsstore.WAL, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if wal, ok := w.wals[id]; ok {
		return wal, nil
	}
	wal, err := hdfsstore.NewWAL(w.fsys, streamDataDir(w.root, id), "recv-"+strconv.Itoa(id))
	if err != nil {
		return nil, err
	}
	w.wals[id] = wal
	return wal, nil
}

// write makes a block durable: its segment (a remote block's executor wrote
// it), then its "add" record. The hook hears the block's size and the
// driver's part of the time: for a remote block, the "add" record's.
func (w *receiverWAL) write(ctx context.Context, b *receivedBlock) (_ blockMeta, err error) {
	start, size := time.Now(), 0
	if w.written != nil {
		defer func() {
			w.written(WALWriteInfo{StreamID: b.streamID, Duration: time.Since(start), Bytes: size, Err: err})
		}()
	}
	var ref hdfsstore.RecordRef
	if b.remote != nil {
		if b.remote.WAL == nil {
			return blockMeta{}, fmt.Errorf("block %s of stream %d from executor %s is not in a write-ahead log segment, "+
				"though %s is on: is the executor running the driver's build?", b.remote.ID, b.streamID, b.remote.Executor, conf.ReceiverWALEnable)
		}
		ref, size = hdfsstore.RecordRef(*b.remote.WAL), b.remote.Bytes
	} else {
		wal, err := w.stream(b.streamID)
		if err != nil {
			return blockMeta{}, err
		}
		data, err := b.encode()
		if err != nil {
			return blockMeta{}, fmt.Errorf("block of stream %d: %w", b.streamID, err)
		}
		size = len(data)
		if ref, err = writeBlockSegment(ctx, wal, w.clock, b.streamID, data); err != nil {
			return blockMeta{}, err
		}
	}
	meta := blockMeta{Ref: ref, Records: b.records, Offset: b.offset}
	if err := w.append(ctx, w.clock.Now(), logRecord{Type: "add", Stream: b.streamID, Block: &meta}); err != nil {
		return blockMeta{}, err
	}
	return meta, nil
}

// writeBlockSegment writes a block of stream, encoded, to a segment of wal
// of its own, and returns where: the driver's log of its own receivers'
// blocks, and an executor's of the blocks its receivers keep.
func writeBlockSegment(ctx context.Context, wal *hdfsstore.WAL, clock Clock, stream int, data []byte) (hdfsstore.RecordRef, error) {
	at := clock.Now() // the write time, not the cut time: see checkpointer.clean
	seg, err := wal.WriteSegment(ctx, at, at, [][]byte{data})
	if err != nil {
		return hdfsstore.RecordRef{}, fmt.Errorf("write-ahead log of stream %d: %w", stream, err)
	}
	return seg.Records[0], nil
}

// streamDataDir is where the segments of a stream's blocks are, under the
// checkpoint directory: the driver's and every executor's.
func streamDataDir(checkpointRoot string, stream int) string {
	return path.Join(checkpointRoot, "receivedData", strconv.Itoa(stream))
}

func (w *receiverWAL) append(ctx context.Context, at time.Time, rec logRecord) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("block metadata log: %w", err)
	}
	_, err = w.log.Append(ctx, at, b)
	return err
}

// logAllocation records the blocks batch bt takes, in one record.
func (w *receiverWAL) logAllocation(bt time.Time, batch map[int][]*receivedBlock) error {
	rec := logRecord{Type: "alloc", BatchMs: bt.UnixMilli()}
	for stream, blocks := range batch {
		a := allocatedBlocks{BatchMs: bt.UnixMilli(), Stream: stream}
		for _, b := range blocks {
			if b.meta != nil {
				a.Blocks = append(a.Blocks, *b.meta)
			}
		}
		rec.Blocks = append(rec.Blocks, a)
	}
	ctx, cancel := context.WithTimeout(context.Background(), w.timeout)
	defer cancel()
	return w.append(ctx, bt, rec)
}

// registerDecoder tells the tracker how to read back a stream's blocks.
func (t *blockTracker) registerDecoder(stream int, decode func([]byte) (any, error)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.decoders[stream] = decode
}

// DamagedBlockError: a block the write-ahead log committed, and its
// receiver was told was stored, cannot be read back after a restart because
// its segment is damaged. It unwraps to the segment's *hdfsstore.CorruptError.
type DamagedBlockError struct {
	Stream  int
	BatchMs int64 // the batch that reads the block
	Records int   // records the block holds
	Skipped bool  // skipDamaged is set: the batch went on without them
	Err     *hdfsstore.CorruptError
}

func (e *DamagedBlockError) Error() string {
	damage := fmt.Sprintf("write-ahead log segment %s is damaged (%s at offset %d", e.Err.Path, e.Err.Problem, e.Err.Offset)
	if e.Err.Detail != "" {
		damage += ": " + e.Err.Detail
	}
	damage += ")"
	if e.Skipped {
		return fmt.Sprintf("skipped %d records of stream %d in batch %d (%s=true): %s; they are lost",
			e.Records, e.Stream, e.BatchMs, conf.ReceiverWALSkipDamaged, damage)
	}
	return fmt.Sprintf("%s: it holds a block of %d records of stream %d, taken by batch %d; "+
		"the segment was committed and its records acknowledged, so they are lost unless the file is restored. "+
		"Restore it from a backup and restart, or set %s=true to go on without them (each skipped block is logged and reported with its record count)",
		damage, e.Records, e.Stream, e.BatchMs, conf.ReceiverWALSkipDamaged)
}

func (e *DamagedBlockError) Unwrap() error { return e.Err }

// load reads a recovered block's data back from the WAL for batch bt. A
// block whose segment is damaged fails with a *DamagedBlockError, or, with
// skipDamaged, is reported once and read as empty (nil data).
func (t *blockTracker) load(ctx context.Context, fsys hdfsstore.FS, b *receivedBlock, bt time.Time) (any, error) {
	t.mu.Lock()
	data, meta, decode, skipped := b.data, b.meta, t.decoders[b.streamID], b.skipped
	t.mu.Unlock()
	if data != nil || skipped {
		return data, nil
	}
	if meta == nil || decode == nil {
		return nil, fmt.Errorf("block of stream %d has neither data nor a write-ahead log record", b.streamID)
	}
	raw, err := hdfsstore.ReadRecord(ctx, fsys, meta.Ref)
	if ce := (*hdfsstore.CorruptError)(nil); errors.As(err, &ce) {
		derr := &DamagedBlockError{Stream: b.streamID, BatchMs: bt.UnixMilli(), Records: meta.Records, Err: ce}
		if !t.wal.skipDamaged {
			return nil, derr
		}
		derr.Skipped = true
		t.mu.Lock()
		b.skipped = true
		t.mu.Unlock()
		t.wal.reportErr(derr)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read block of stream %d back from the write-ahead log: %w", b.streamID, err)
	}
	data, err = decode(raw)
	if err != nil {
		return nil, fmt.Errorf("block %v of stream %d: %w", meta.Ref, b.streamID, err)
	}
	t.mu.Lock()
	b.data = data
	t.mu.Unlock()
	return data, nil
}

// allocations lists, for the checkpoint, the WAL records of every batch
// the tracker holds: pending ones and completed ones a window still reads.
func (t *blockTracker) allocations() []allocatedBlocks {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []allocatedBlocks
	for _, batches := range []map[int64]map[int][]*receivedBlock{t.allocated, t.completed} {
		for bt, batch := range batches {
			for stream, blocks := range batch {
				a := allocatedBlocks{BatchMs: bt, Stream: stream}
				for _, b := range blocks {
					if b.meta != nil {
						a.Blocks = append(a.Blocks, *b.meta)
					}
				}
				if len(a.Blocks) > 0 {
					out = append(out, a)
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b allocatedBlocks) int {
		return cmp.Or(cmp.Compare(a.BatchMs, b.BatchMs), cmp.Compare(a.Stream, b.Stream))
	})
	return out
}

// offsets returns every stream's newest durable offset.
func (t *blockTracker) offsets() map[int]string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lastOff) == 0 {
		return nil
	}
	m := make(map[int]string, len(t.lastOff))
	for k, v := range t.lastOff {
		m[k] = v
	}
	return m
}

// recoveredOffset is the offset of a stream's newest block kept before a restart.
func (t *blockTracker) recoveredOffset(stream int) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	off, ok := t.recovered[stream]
	return off, ok
}

// clean removes WAL segments and metadata records from before before.
func (t *blockTracker) clean(ctx context.Context, before time.Time) error {
	if t.wal == nil {
		return nil
	}
	t.mu.Lock()
	var streams []int
	for s := range t.decoders {
		streams = append(streams, s)
	}
	t.mu.Unlock()
	var errs []error
	for _, s := range streams {
		if err := t.wal.cleanStream(ctx, s, before); err != nil {
			errs = append(errs, err)
		}
	}
	// The clean record carries the offsets, which the removed "add" records held.
	if err := t.wal.append(ctx, t.wal.clock.Now(), logRecord{Type: "clean", BeforeMs: before.UnixMilli(), Offsets: t.offsets()}); err != nil {
		return errors.Join(append(errs, err)...)
	}
	if _, err := t.wal.log.Clean(ctx, before); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// cleanStream removes the segments of a stream's blocks written before
// before: the driver's, and those of every executor that kept blocks of the
// stream (each writes segments of its own in the stream's directory).
func (w *receiverWAL) cleanStream(ctx context.Context, stream int, before time.Time) error {
	dir := streamDataDir(w.root, stream)
	infos, err := w.fsys.ReadDir(ctx, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("clean the write-ahead log of stream %d: %w", stream, err)
	}
	writers := map[string]bool{}
	for _, info := range infos {
		base, _ := strings.CutPrefix(info.Name(), hdfsstore.TempPrefix)
		if n, err := hdfsstore.ParseSegmentName(base); err == nil {
			writers[n.Stream] = true
		}
	}
	var errs []error
	for name := range writers {
		wal, err := hdfsstore.NewWAL(w.fsys, dir, name)
		if err == nil {
			_, err = wal.Clean(ctx, before)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// recover rebuilds the tracker from the metadata log and the checkpoint:
// blocks of batches after lastDone, and blocks no batch took. fresh: there
// is no checkpoint, so no batch's results survived: every logged block is
// given to the new batches.
func (t *blockTracker) recover(ctx context.Context, d *checkpointData, fresh bool) error {
	type added struct {
		stream int
		meta   blockMeta
	}
	var order []string
	adds := map[string]added{}
	allocs := map[int64]map[int][]blockMeta{}
	taken := map[string]bool{}
	offsets := map[int]string{}
	for s, off := range d.ReceiverOffsets {
		offsets[s] = off
	}
	for _, a := range d.Blocks {
		if allocs[a.BatchMs] == nil {
			allocs[a.BatchMs] = map[int][]blockMeta{}
		}
		allocs[a.BatchMs][a.Stream] = a.Blocks
	}
	problems, err := t.wal.log.Replay(ctx, func(r hdfsstore.Record) error {
		var rec logRecord
		if err := json.Unmarshal(r.Data, &rec); err != nil {
			return fmt.Errorf("block metadata log: bad record: %w", err)
		}
		switch rec.Type {
		case "add":
			if rec.Block == nil {
				return nil
			}
			k := rec.Block.Ref.String()
			order = append(order, k)
			adds[k] = added{rec.Stream, *rec.Block}
			if rec.Block.Offset != nil {
				offsets[rec.Stream] = *rec.Block.Offset
			}
		case "alloc":
			if fresh {
				return nil
			}
			m := map[int][]blockMeta{}
			for _, a := range rec.Blocks {
				m[a.Stream] = a.Blocks
			}
			allocs[rec.BatchMs] = m
		case "clean":
			for s, off := range rec.Offsets {
				if _, ok := offsets[s]; !ok {
					offsets[s] = off
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("replay the block metadata log: %w", err)
	}
	for _, p := range problems { // torn tails of appends that never returned
		t.wal.reportErr(fmt.Errorf("block metadata log: %w", p))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, m := range allocs {
		for _, metas := range m {
			for _, meta := range metas {
				taken[meta.Ref.String()] = true
			}
		}
	}
	// Completed batches come back too: windows after the restart read them.
	for bt, m := range allocs {
		batch := map[int][]*receivedBlock{}
		for stream, metas := range m {
			for _, meta := range metas {
				batch[stream] = append(batch[stream], recoveredBlock(stream, meta))
			}
		}
		if bt <= d.LastCompletedMs {
			t.completed[bt] = batch
		} else {
			t.allocated[bt] = batch
		}
	}
	for _, k := range order {
		if a := adds[k]; !taken[k] {
			t.unallocated[a.stream] = append(t.unallocated[a.stream], recoveredBlock(a.stream, a.meta))
			taken[k] = true
		}
	}
	for s, off := range offsets {
		t.recovered[s], t.lastOff[s] = off, off
	}
	t.forgetLocked(time.UnixMilli(d.LastCompletedMs)) // recovered blocks are on no executor
	return nil
}

func recoveredBlock(stream int, meta blockMeta) *receivedBlock {
	m := meta
	return &receivedBlock{streamID: stream, records: meta.Records, meta: &m, offset: meta.Offset, recovered: true}
}
