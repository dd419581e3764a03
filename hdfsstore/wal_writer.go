package hdfsstore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sync"
	"time"
)

// WAL is one stream's write-ahead log: the segments named <stream>-… in dir.
// Several streams may share a directory. A WAL is safe for concurrent use.
type WAL struct {
	fsys   FS
	dir    string
	stream string

	mu   sync.Mutex
	last SegmentName // the newest name this WAL took or saw; skips names known to be taken
}

// NewWAL returns the WAL of stream in dir. It does no I/O: the directory is
// created by the first write.
func NewWAL(fsys FS, dir, stream string) (*WAL, error) {
	if err := ValidateStreamName(stream); err != nil {
		return nil, err
	}
	return &WAL{fsys: fsys, dir: dir, stream: stream}, nil
}

// Dir returns the directory holding the segments.
func (w *WAL) Dir() string { return w.dir }

// Stream returns the stream name.
func (w *WAL) Stream() string { return w.stream }

// maxNameAttempts bounds the search for a free name when leftovers of
// crashed writers hold the first ones.
const maxNameAttempts = 100

// segmentBufferSize batches the small record headers with their payloads;
// payloads larger than the buffer bypass it.
const segmentBufferSize = 256 << 10

// WriteSegment writes records as one new segment covering [start, end] (the
// records of one block interval) and returns once the segment is durable;
// only then may the caller acknowledge the records. Zero records make a
// valid, empty segment.
//
// Durability order:
//  1. Create the file under a name no file has: Create is exclusive, so a
//     file a crashed writer left (possibly still open) is never appended to;
//     its name is skipped by raising seq.
//  2. Write header, records and trailer.
//  3. Commit: on return the bytes are durable (local: fsync file and
//     directory; HDFS: the file is closed and acknowledged by the datanodes).
//  4. Return the refs. On any failure before that, the file is aborted
//     (removed) and nothing was acknowledged; if even the removal fails, the
//     file lacks its trailer or is never referenced, and Clean drops it later.
//
// There is no temporary name and rename: FS.Rename overwrites, so renaming
// into place could replace a segment that a concurrent (zombie) writer of the
// same stream committed under that name. Exclusive Create allocates names
// atomically instead, and the trailer tells a complete segment from a torn one.
//
// On a file system with a retry policy, a segment that fails for a
// transient reason is written again whole, under a new name.
func (w *WAL) WriteSegment(ctx context.Context, start, end time.Time, records [][]byte) (SegmentRef, error) {
	for i, r := range records {
		if uint64(len(r)) > MaxRecordSize {
			return SegmentRef{}, fmt.Errorf("write WAL segment of %s: record %d has %d bytes, above the limit of %d",
				w.stream, i, len(r), uint64(MaxRecordSize))
		}
	}
	var ref SegmentRef
	err := Retry(ctx, w.fsys, "write WAL segment", path.Join(w.dir, w.stream), func(ctx context.Context) (err error) {
		ref, err = w.writeSegment(ctx, start, end, records)
		return err
	})
	return ref, err
}

func (w *WAL) writeSegment(ctx context.Context, start, end time.Time, records [][]byte) (SegmentRef, error) {
	name, p, fw, err := w.create(ctx, start, end)
	if err != nil {
		return SegmentRef{}, err
	}
	ref := SegmentRef{Name: name, Path: p, Records: make([]RecordRef, 0, len(records))}
	fail := func(err error) (SegmentRef, error) {
		// Cleanup must run even when ctx is why we failed.
		_ = fw.Abort(context.WithoutCancel(ctx))
		return SegmentRef{}, fmt.Errorf("write WAL segment %s: %w", p, err)
	}

	bw := bufio.NewWriterSize(fw, segmentBufferSize)
	scratch := appendSegmentHeader(make([]byte, 0, trailerSize))
	off := int64(len(scratch))
	if _, err := bw.Write(scratch); err != nil {
		return fail(err)
	}
	for _, r := range records {
		scratch = appendRecordHeader(scratch[:0], r)
		if _, err := bw.Write(scratch); err != nil {
			return fail(err)
		}
		if _, err := bw.Write(r); err != nil {
			return fail(err)
		}
		ref.Records = append(ref.Records, RecordRef{Segment: p, Offset: off, Length: uint32(len(r))})
		off += recordHeaderSize + int64(len(r))
	}
	scratch = appendTrailer(scratch[:0], uint32(len(records)))
	if _, err := bw.Write(scratch); err != nil {
		return fail(err)
	}
	if err := bw.Flush(); err != nil {
		return fail(err)
	}
	if err := fw.Commit(ctx); err != nil {
		return fail(err)
	}
	ref.Size = off + trailerSize
	return ref, nil
}

// create allocates the segment's name by creating its file exclusively.
func (w *WAL) create(ctx context.Context, start, end time.Time) (SegmentName, string, Writer, error) {
	name, err := newSegmentName(w.stream, start, end, 0)
	if err != nil {
		return SegmentName{}, "", nil, fmt.Errorf("write WAL segment of %s: %w", w.stream, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if name.sameRange(w.last) {
		name.Seq = w.last.Seq + 1
	}
	madeDir := false
	for attempt := 0; attempt < maxNameAttempts; {
		p := path.Join(w.dir, name.String())
		fw, err := w.fsys.Create(ctx, p)
		switch {
		case err == nil:
			w.last = name
			return name, p, fw, nil
		case errors.Is(err, fs.ErrExist):
			if name.Seq == 1<<32-1 {
				return SegmentName{}, "", nil, fmt.Errorf("create WAL segment %s: sequence numbers exhausted", p)
			}
			name.Seq++
			attempt++
		case errors.Is(err, fs.ErrNotExist) && !madeDir:
			madeDir = true
			if err := w.fsys.MkdirAll(ctx, w.dir, 0o755); err != nil {
				return SegmentName{}, "", nil, fmt.Errorf("create WAL directory %s: %w", w.dir, err)
			}
		default:
			return SegmentName{}, "", nil, fmt.Errorf("create WAL segment %s: %w", p, err)
		}
	}
	return SegmentName{}, "", nil, fmt.Errorf("create WAL segment for %s in %s: %d names taken from seq %d on; "+
		"is another writer using stream %q?", w.stream, w.dir, maxNameAttempts, name.Seq-maxNameAttempts, w.stream)
}

// observe makes later writes skip past name (used when reopening a log).
func (w *WAL) observe(name SegmentName) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.last.Stream == "" || w.last.less(name) {
		w.last = name
	}
}
