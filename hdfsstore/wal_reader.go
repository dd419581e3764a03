package hdfsstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// ReadSegment reads and verifies a whole segment. Like io.Reader, it may
// return records and an error together: on a torn or damaged tail it returns
// every record before the damage and a *CorruptError saying where the damage
// starts and what it is; on a newer format, a *VersionError. Other errors
// (file missing, I/O) come back wrapped, with no records.
//
// ReadSegment never repairs: segments are immutable once written, and a
// damaged one is reported, not rewritten.
func ReadSegment(ctx context.Context, fsys FS, name string) ([]Record, error) {
	data, err := ReadFile(ctx, fsys, name)
	if err != nil {
		return nil, fmt.Errorf("read WAL segment %s: %w", name, err)
	}
	return parseSegment(name, data)
}

// ReadRecord reads the one record ref points at, checking the segment header
// and the record's CRC but nothing else in the segment. The engine uses it for
// records it knows were committed (their refs are in its metadata log), so a
// torn tail elsewhere in the segment does not matter; and so a damaged
// record's *CorruptError is marked Committed.
func ReadRecord(ctx context.Context, fsys FS, ref RecordRef) ([]byte, error) {
	if err := ref.validate(); err != nil {
		return nil, err
	}
	r, err := fsys.Open(ctx, ref.Segment)
	if err != nil {
		return nil, fmt.Errorf("read WAL record %v: %w", ref, err)
	}
	defer r.Close()
	pr := positionedReader{r: r}

	hdr := make([]byte, walHeaderSize)
	n, err := pr.readAt(hdr, 0)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("read WAL record %v: %w", ref, err)
	}
	if err := checkSegmentHeader(ref.Segment, hdr[:n]); err != nil {
		if ce := (*CorruptError)(nil); errors.As(err, &ce) {
			ce.Committed = true
		}
		return nil, err
	}

	corrupt := func(p Problem, detail string) error {
		return &CorruptError{Kind: kindSegment, Path: ref.Segment, Offset: ref.Offset, Problem: p, Detail: detail, Committed: true}
	}
	// Check the size first when the reader knows it (os.File and HDFS readers
	// do, without a round trip), so a bad ref cannot make us allocate gigabytes.
	if st, ok := r.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if info, err := st.Stat(); err == nil && info.Size() < ref.Offset+recordHeaderSize+int64(ref.Length) {
			return nil, corrupt(ProblemTruncated, fmt.Sprintf("its %d-byte record ends past the segment's %d bytes", ref.Length, info.Size()))
		}
	}
	buf := make([]byte, recordHeaderSize+int(ref.Length))
	n, err = pr.readAt(buf, ref.Offset)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, corrupt(ProblemTruncated, fmt.Sprintf("the segment ends %d bytes into its %d-byte record", n, ref.Length))
	case err != nil:
		return nil, fmt.Errorf("read WAL record %v: %w", ref, err)
	}
	if l := binary.BigEndian.Uint32(buf); l != ref.Length {
		return nil, corrupt(ProblemRefMismatch, fmt.Sprintf("the record's length field says %d, its reference %d", l, ref.Length))
	}
	payload := buf[recordHeaderSize:]
	stored := binary.BigEndian.Uint32(buf[4:])
	if crc := crc32.Update(crc32.Checksum(buf[:4], crcTable), crcTable, payload); crc != stored {
		return nil, corrupt(ProblemChecksum, fmt.Sprintf("the record's stored CRC is %#08x, computed %#08x", stored, crc))
	}
	return payload, nil
}

// positionedReader reads at increasing offsets from whatever Open returned:
// directly when it can seek (local files and HDFS readers can), by skipping
// bytes otherwise.
type positionedReader struct {
	r   io.Reader
	pos int64
}

// readAt fills p from offset off; io.ErrUnexpectedEOF (with the count read)
// when the file ends first.
func (pr *positionedReader) readAt(p []byte, off int64) (int, error) {
	if ra, ok := pr.r.(io.ReaderAt); ok {
		n, err := ra.ReadAt(p, off)
		if n == len(p) {
			return n, nil
		}
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return n, err
	}
	if off != pr.pos {
		if s, ok := pr.r.(io.Seeker); ok {
			if _, err := s.Seek(off, io.SeekStart); err != nil {
				return 0, err
			}
		} else {
			if off < pr.pos {
				return 0, fmt.Errorf("cannot read backwards in a non-seekable reader")
			}
			skipped, err := io.CopyN(io.Discard, pr.r, off-pr.pos)
			if err == io.EOF {
				pr.pos += skipped
				return 0, io.ErrUnexpectedEOF
			}
			if err != nil {
				return 0, err
			}
		}
		pr.pos = off
	}
	n, err := io.ReadFull(pr.r, p)
	pr.pos += int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// SegmentInfo is a listed segment file.
type SegmentInfo struct {
	Name SegmentName
	Path string
	Size int64
}

// Segments lists the stream's segment files in order (start, end, seq),
// without opening them. Files of other streams and files that are not
// segments are skipped; temporary files of this stream are listed in problems
// as *CorruptError with ProblemTempFile. A missing directory holds no
// segments.
func (w *WAL) Segments(ctx context.Context) (segs []SegmentInfo, problems []error, err error) {
	infos, err := w.fsys.ReadDir(ctx, w.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("list WAL %s in %s: %w", w.stream, w.dir, err)
	}
	for _, info := range infos {
		if info.IsDir() {
			continue
		}
		base := info.Name()
		if tmp, ok := strings.CutPrefix(base, TempPrefix); ok {
			if n, err := ParseSegmentName(tmp); err == nil && n.Stream == w.stream {
				problems = append(problems, &CorruptError{Kind: kindSegment, Path: path.Join(w.dir, base), Problem: ProblemTempFile})
			}
			continue
		}
		n, err := ParseSegmentName(base)
		if err != nil || n.Stream != w.stream {
			continue
		}
		segs = append(segs, SegmentInfo{Name: n, Path: path.Join(w.dir, base), Size: info.Size()})
	}
	slices.SortFunc(segs, func(a, b SegmentInfo) int {
		switch {
		case a.Name.less(b.Name):
			return -1
		case b.Name.less(a.Name):
			return 1
		}
		return 0
	})
	return segs, problems, nil
}

// Replay reads every segment of the stream in order and calls fn for each
// good record. A damaged segment does not stop the replay: its records before
// the damage are delivered and its *CorruptError is added to problems (a torn
// tail is what a crash during WriteSegment leaves, and those records were never
// acknowledged). Stopping errors: listing or I/O failures, a *VersionError (a
// newer gostream wrote the log; skipping would lose data silently), and fn's
// error.
func (w *WAL) Replay(ctx context.Context, fn func(Record) error) (problems []error, err error) {
	segs, problems, err := w.Segments(ctx)
	if err != nil {
		return problems, err
	}
	for _, s := range segs {
		recs, err := ReadSegment(ctx, w.fsys, s.Path)
		var ce *CorruptError
		switch {
		case err == nil:
		case errors.As(err, &ce):
			problems = append(problems, err)
		case errors.Is(err, fs.ErrNotExist):
			continue // removed by a cleaner since the listing
		default:
			return problems, fmt.Errorf("replay WAL %s: %w", w.stream, err)
		}
		for _, r := range recs {
			if err := fn(r); err != nil {
				return problems, fmt.Errorf("replay WAL %s: record %v: %w", w.stream, r.Ref, err)
			}
		}
	}
	return problems, nil
}
