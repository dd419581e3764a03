package hdfsstore

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrNoCheckpoint: the checkpoint directory holds no checkpoint (or does not
// exist), so the application starts fresh. Damaged checkpoints are a
// different error: they must not be mistaken for "nothing to recover".
var ErrNoCheckpoint = errors.New("no checkpoint")

// The checkpoint format; doc.go describes it byte by byte.
const (
	checkpointPrefix     = "checkpoint-"
	checkpointBackup     = ".bk"
	checkpointMagic      = "GSCK"
	checkpointVersion    = 1
	checkpointHeaderSize = 28
)

// CheckpointName returns the file name of the checkpoint of batchTime.
func CheckpointName(batchTime time.Time) string {
	return checkpointPrefix + strconv.FormatInt(batchTime.UnixMilli(), 10)
}

// PruneError reports that a checkpoint was written and is in place, but
// removing older ones failed; the caller may carry on and retry later.
type PruneError struct {
	Dir string
	Err error
}

func (e *PruneError) Error() string {
	return fmt.Sprintf("checkpoint written in %s, but removing old checkpoints failed: %v", e.Dir, e.Err)
}

func (e *PruneError) Unwrap() error { return e.Err }

// WriteCheckpoint stores payload as the checkpoint of batchTime (whole
// milliseconds; finer parts are dropped) in dir, then keeps only the newest
// retain checkpoints (retain ≤ 0 keeps all). A nil error means the checkpoint
// is durable; a *PruneError means it is durable but cleanup failed.
//
// Order, so that a crash at any point leaves a readable checkpoint:
//  1. write .tmp-checkpoint-<t> and Commit it (durable, not yet visible);
//  2. if checkpoint-<t> exists, rename it to checkpoint-<t>.bk (replacing an
//     older .bk), so the previous copy of this batch stays readable;
//  3. rename the temporary file to checkpoint-<t>;
//  4. delete checkpoints (with their .bk and temporary files) older than the
//     newest retain, never the one just written.
//
// A crash between 2 and 3 leaves only the .bk, which ReadLatestCheckpoint
// reads.
func WriteCheckpoint(ctx context.Context, fsys FS, dir string, batchTime time.Time, payload []byte, retain int) error {
	if batchTime.Before(time.UnixMilli(0)) {
		return fmt.Errorf("write checkpoint: batch time %v is before 1970", batchTime)
	}
	ms := batchTime.UnixMilli()
	final := path.Join(dir, CheckpointName(batchTime))
	err := Retry(ctx, fsys, "write checkpoint", final, func(ctx context.Context) error {
		return putCheckpoint(ctx, fsys, dir, batchTime, payload)
	})
	if err != nil {
		return err
	}
	if retain > 0 {
		if err := pruneCheckpoints(ctx, fsys, dir, retain, ms); err != nil {
			return &PruneError{Dir: dir, Err: err}
		}
	}
	return nil
}

// putCheckpoint does steps 1–3 of WriteCheckpoint; it may run again after a
// transient fault.
func putCheckpoint(ctx context.Context, fsys FS, dir string, batchTime time.Time, payload []byte) error {
	ms := batchTime.UnixMilli()
	final := path.Join(dir, CheckpointName(batchTime))
	tmp := path.Join(dir, TempPrefix+CheckpointName(batchTime))
	if err := fsys.MkdirAll(ctx, dir, 0o755); err != nil {
		return fmt.Errorf("write checkpoint %s: %w", final, err)
	}
	if err := fsys.RemoveAll(ctx, tmp); err != nil { // left by a crashed write
		return fmt.Errorf("write checkpoint %s: clear stale %s: %w", final, tmp, err)
	}

	w, err := fsys.Create(ctx, tmp)
	if err != nil {
		return fmt.Errorf("write checkpoint %s: %w", final, err)
	}
	hdr := make([]byte, 0, checkpointHeaderSize)
	hdr = append(hdr, checkpointMagic...)
	hdr = binary.BigEndian.AppendUint16(hdr, checkpointVersion)
	hdr = binary.BigEndian.AppendUint16(hdr, 0)
	hdr = binary.BigEndian.AppendUint64(hdr, uint64(ms))
	hdr = binary.BigEndian.AppendUint64(hdr, uint64(len(payload)))
	hdr = binary.BigEndian.AppendUint32(hdr, crc32.Checksum(payload, crcTable))
	if err := writeAll(w, hdr, payload); err != nil {
		_ = w.Abort(context.WithoutCancel(ctx))
		return fmt.Errorf("write checkpoint %s: %w", tmp, err)
	}
	if err := w.Commit(ctx); err != nil {
		_ = w.Abort(context.WithoutCancel(ctx))
		return fmt.Errorf("write checkpoint %s: %w", tmp, err)
	}

	switch ok, err := Exists(ctx, fsys, final); {
	case err != nil:
		return fmt.Errorf("write checkpoint %s: %w", final, err)
	case ok:
		if err := fsys.Rename(ctx, final, final+checkpointBackup); err != nil {
			return fmt.Errorf("write checkpoint %s: keep the previous copy: %w", final, err)
		}
	}
	if err := fsys.Rename(ctx, tmp, final); err != nil {
		return fmt.Errorf("write checkpoint %s: %w", final, err)
	}
	return nil
}

func writeAll(w Writer, parts ...[]byte) error {
	for _, p := range parts {
		if _, err := w.Write(p); err != nil {
			return err
		}
	}
	return nil
}

// checkpointFile is a directory entry named like a checkpoint.
type checkpointFile struct {
	name   string
	ms     int64
	backup bool // checkpoint-<t>.bk
	temp   bool // .tmp-checkpoint-<t>
}

// parseCheckpointName recognizes checkpoint-<t>, checkpoint-<t>.bk and
// .tmp-checkpoint-<t>, with <t> in canonical decimal form.
func parseCheckpointName(name string) (checkpointFile, bool) {
	f := checkpointFile{name: name}
	rest, isTemp := strings.CutPrefix(name, TempPrefix)
	rest, ok := strings.CutPrefix(rest, checkpointPrefix)
	if !ok {
		return f, false
	}
	rest, isBackup := strings.CutSuffix(rest, checkpointBackup)
	if isTemp && isBackup {
		return f, false
	}
	ms, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || ms < 0 || strconv.FormatInt(ms, 10) != rest {
		return f, false
	}
	f.ms, f.backup, f.temp = ms, isBackup, isTemp
	return f, true
}

// pruneCheckpoints deletes the files of all but the newest retain batch
// times, keeping keepMs whatever its rank. Every removal is tried; failures
// come back joined.
func pruneCheckpoints(ctx context.Context, fsys FS, dir string, retain int, keepMs int64) error {
	infos, err := fsys.ReadDir(ctx, dir)
	if err != nil {
		return err
	}
	var files []checkpointFile
	var times []int64
	for _, info := range infos {
		f, ok := parseCheckpointName(info.Name())
		if !ok || info.IsDir() {
			continue
		}
		files = append(files, f)
		if !f.temp {
			times = append(times, f.ms)
		}
	}
	slices.Sort(times)
	times = slices.Compact(times)
	if len(times) <= retain {
		return nil
	}
	oldestKept := times[len(times)-retain]
	var errs []error
	for _, f := range files {
		if f.ms >= oldestKept || f.ms == keepMs {
			continue
		}
		if err := fsys.Remove(ctx, path.Join(dir, f.name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Checkpoint is a checkpoint file read back.
type Checkpoint struct {
	// Path is the file read: checkpoint-<t>, or checkpoint-<t>.bk when the
	// former was damaged.
	Path      string
	BatchTime time.Time
	Payload   []byte
}

// ReadLatestCheckpoint returns the newest readable checkpoint in dir.
//
// Candidates are tried newest batch time first, checkpoint-<t> before
// checkpoint-<t>.bk. A candidate that is truncated or corrupt (or vanished
// since the listing) is skipped and reported in skipped (as *CorruptError),
// and the next one is tried. Files whose names are not checkpoint names are
// ignored.
//
// Errors:
//   - ErrNoCheckpoint (errors.Is) when dir is missing or holds no checkpoint
//     files: start fresh;
//   - a *VersionError when a candidate reached before any good one has a
//     newer format version: an older gostream binary is running against a
//     newer one's checkpoints, and silently recovering from an older
//     checkpoint would repeat batches and hide the mistake;
//   - when every candidate is damaged, an error wrapping their
//     *CorruptErrors (not ErrNoCheckpoint: state exists but is unreadable);
//   - listing or read errors other than "not found" (permission, I/O), as
//     they are: a flaky file system must not look like a missing checkpoint.
func ReadLatestCheckpoint(ctx context.Context, fsys FS, dir string) (ck Checkpoint, skipped []error, err error) {
	skipped, err = ReadCheckpoints(ctx, fsys, dir, func(c Checkpoint) error { ck = c; return nil })
	return ck, skipped, err
}

// ReadCheckpoints is ReadLatestCheckpoint with a say in the choice: it calls
// use with each readable checkpoint, newest first, until use accepts one
// (returns nil). When use returns an error wrapping a *CorruptError (the
// checkpoint is intact but a file it refers to is damaged), that error joins
// skipped and the next checkpoint is tried; any other error of use stops the
// search and is returned. The errors are ReadLatestCheckpoint's.
func ReadCheckpoints(ctx context.Context, fsys FS, dir string, use func(Checkpoint) error) (skipped []error, err error) {
	infos, err := fsys.ReadDir(ctx, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read checkpoint: directory %s: %w (%w)", dir, ErrNoCheckpoint, err)
	}
	if err != nil {
		return nil, fmt.Errorf("read checkpoint in %s: %w", dir, err)
	}
	var cands []checkpointFile
	for _, info := range infos {
		if f, ok := parseCheckpointName(info.Name()); ok && !f.temp && !info.IsDir() {
			cands = append(cands, f)
		}
	}
	if len(cands) == 0 {
		return nil, fmt.Errorf("read checkpoint: %w in %s", ErrNoCheckpoint, dir)
	}
	slices.SortFunc(cands, func(a, b checkpointFile) int {
		switch {
		case a.ms != b.ms:
			return cmp.Compare(b.ms, a.ms) // newest first
		case a.backup != b.backup:
			if a.backup {
				return 1
			}
			return -1
		}
		return 0
	})

	for _, c := range cands {
		p := path.Join(dir, c.name)
		data, err := ReadFile(ctx, fsys, p)
		if errors.Is(err, fs.ErrNotExist) {
			skipped = append(skipped, fmt.Errorf("checkpoint %s vanished while reading: %w", p, err))
			continue
		}
		if err != nil {
			return skipped, fmt.Errorf("read checkpoint %s: %w", p, err)
		}
		payload, err := parseCheckpoint(p, c.ms, data)
		if err == nil {
			err = use(Checkpoint{Path: p, BatchTime: time.UnixMilli(c.ms).UTC(), Payload: payload})
			if err == nil {
				return skipped, nil
			}
		}
		if ce := (*CorruptError)(nil); !errors.As(err, &ce) {
			return skipped, err // a *VersionError, or use's reason to stop
		}
		skipped = append(skipped, err)
	}
	return skipped, fmt.Errorf("read checkpoint in %s: none of its %d checkpoint files can be used; "+
		"restore the damaged files named below from a backup, or move the directory aside to start without this state:\n%w",
		dir, len(cands), errors.Join(skipped...))
}

// parseCheckpoint verifies a checkpoint file and returns its payload (which
// aliases data). It never panics, whatever data holds.
func parseCheckpoint(p string, nameMs int64, data []byte) ([]byte, error) {
	corrupt := func(off int, pr Problem, detail string) error {
		return &CorruptError{Kind: kindCheckpoint, Path: p, Offset: int64(off), Problem: pr, Detail: detail}
	}
	n := min(len(data), len(checkpointMagic))
	if string(data[:n]) != checkpointMagic[:n] {
		return nil, corrupt(0, ProblemBadMagic, fmt.Sprintf("starts with %q, want %q", data[:n], checkpointMagic))
	}
	if len(data) < checkpointHeaderSize {
		return nil, corrupt(len(data), ProblemTruncated, fmt.Sprintf("%d bytes, shorter than the %d-byte header", len(data), checkpointHeaderSize))
	}
	switch v := binary.BigEndian.Uint16(data[4:]); {
	case v > checkpointVersion:
		return nil, &VersionError{Kind: kindCheckpoint, Path: p, Version: v, Supported: checkpointVersion}
	case v == 0:
		return nil, corrupt(4, ProblemBadHeader, "version 0")
	}
	if r := binary.BigEndian.Uint16(data[6:]); r != 0 {
		return nil, corrupt(6, ProblemBadHeader, fmt.Sprintf("reserved field is %#x, want 0", r))
	}
	if ms := binary.BigEndian.Uint64(data[8:]); ms != uint64(nameMs) {
		return nil, corrupt(8, ProblemBadHeader, fmt.Sprintf("holds batch time %d, its name says %d", int64(ms), nameMs))
	}
	length := binary.BigEndian.Uint64(data[16:])
	have := uint64(len(data) - checkpointHeaderSize)
	switch {
	case length > have:
		return nil, corrupt(len(data), ProblemTruncated, fmt.Sprintf("payload of %d bytes, only %d present", length, have))
	case length < have:
		return nil, corrupt(checkpointHeaderSize+int(length), ProblemTrailingData, fmt.Sprintf("%d bytes after the payload", have-length))
	}
	payload := data[checkpointHeaderSize:]
	if stored, crc := binary.BigEndian.Uint32(data[24:]), crc32.Checksum(payload, crcTable); stored != crc {
		return nil, corrupt(checkpointHeaderSize, ProblemChecksum, fmt.Sprintf("payload CRC %#08x, computed %#08x", stored, crc))
	}
	return payload, nil
}
