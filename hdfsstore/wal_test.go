package hdfsstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"testing"
	"time"
)

var walT0 = time.UnixMilli(1_732_200_000_000).UTC()

func walTime(n int) time.Time { return walT0.Add(time.Duration(n) * time.Millisecond) }

func newTestWAL(t *testing.T) *WAL {
	t.Helper()
	w, err := NewWAL(NewLocal(), path.Join(testDir(t), "wal"), "recv-0")
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// buildSegment encodes records the way WriteSegment does, without a file.
func buildSegment(records ...[]byte) []byte {
	b := appendSegmentHeader(nil)
	for _, r := range records {
		b = appendRecordHeader(b, r)
		b = append(b, r...)
	}
	return appendTrailer(b, uint32(len(records)))
}

func testRecords(n int) [][]byte {
	recs := make([][]byte, n)
	for i := range recs {
		recs[i] = bytes.Repeat([]byte{byte('a' + i%26)}, i%7*13)
		recs[i] = append(recs[i], fmt.Sprintf("record %d", i)...)
	}
	return recs
}

func writeSegment(t *testing.T, w *WAL, start, end time.Time, recs [][]byte) SegmentRef {
	t.Helper()
	ref, err := w.WriteSegment(t.Context(), start, end, recs)
	if err != nil {
		t.Fatalf("WriteSegment: %v", err)
	}
	return ref
}

func checkRecords(t *testing.T, got []Record, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i].Data, want[i]) {
			t.Fatalf("record %d = %q, want %q", i, got[i].Data, want[i])
		}
	}
}

func TestWALRoundTrip(t *testing.T) {
	ctx := t.Context()
	w := newTestWAL(t)
	recs := [][]byte{[]byte("first"), {}, []byte("third record")}
	ref := writeSegment(t, w, walTime(0), walTime(200), recs)

	if ref.Name.Stream != "recv-0" || !ref.Name.Start.Equal(walTime(0)) || !ref.Name.End.Equal(walTime(200)) || ref.Name.Seq != 0 {
		t.Errorf("segment name %+v", ref.Name)
	}
	if ref.Path != path.Join(w.Dir(), ref.Name.String()) {
		t.Errorf("segment path %s, want %s", ref.Path, path.Join(w.Dir(), ref.Name.String()))
	}
	info, err := os.Stat(ref.Path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() != ref.Size {
		t.Errorf("SegmentRef.Size %d, file has %d bytes", ref.Size, info.Size())
	}
	got, err := ReadSegment(ctx, w.fsys, ref.Path)
	if err != nil {
		t.Fatalf("ReadSegment: %v", err)
	}
	checkRecords(t, got, recs)
	for i, r := range got {
		if r.Ref != ref.Records[i] {
			t.Errorf("record %d: read ref %v, written ref %v", i, r.Ref, ref.Records[i])
		}
		data, err := ReadRecord(ctx, w.fsys, ref.Records[i])
		if err != nil {
			t.Fatalf("ReadRecord(%v): %v", ref.Records[i], err)
		}
		if !bytes.Equal(data, recs[i]) {
			t.Errorf("ReadRecord(%v) = %q, want %q", ref.Records[i], data, recs[i])
		}
	}
}

func TestWALManyRecords(t *testing.T) {
	w := newTestWAL(t)
	recs := testRecords(5000)
	recs = append(recs, bytes.Repeat([]byte("big"), 400_000)) // larger than the write buffer
	recs = append(recs, []byte("after big"))
	ref := writeSegment(t, w, walTime(0), walTime(1000), recs)
	got, err := ReadSegment(t.Context(), w.fsys, ref.Path)
	if err != nil {
		t.Fatalf("ReadSegment: %v", err)
	}
	checkRecords(t, got, recs)
	last := ref.Records[len(ref.Records)-2]
	data, err := ReadRecord(t.Context(), w.fsys, last)
	if err != nil || !bytes.Equal(data, recs[len(recs)-2]) {
		t.Fatalf("ReadRecord of the big record: %d bytes, %v", len(data), err)
	}
}

func TestWALEmptySegment(t *testing.T) {
	w := newTestWAL(t)
	ref := writeSegment(t, w, walTime(0), walTime(200), nil)
	if ref.Size != walHeaderSize+trailerSize || len(ref.Records) != 0 {
		t.Fatalf("empty segment: size %d, %d refs", ref.Size, len(ref.Records))
	}
	got, err := ReadSegment(t.Context(), w.fsys, ref.Path)
	if err != nil || len(got) != 0 {
		t.Fatalf("ReadSegment of an empty segment: %d records, %v; want 0, nil", len(got), err)
	}
}

// TestWALTornTail cuts a segment at every byte: the reader returns exactly
// the records that are whole, a truncation report, and never anything else.
func TestWALTornTail(t *testing.T) {
	recs := testRecords(5)
	full := buildSegment(recs...)
	offsets := recordOffsets(recs)
	lastOff := offsets[len(recs)-1]
	trailerOff := len(full) - trailerSize

	for cut := 0; cut < len(full); cut++ {
		got, err := parseSegment("seg", full[:cut])
		var ce *CorruptError
		if !errors.As(err, &ce) || ce.Problem != ProblemTruncated {
			t.Fatalf("cut at %d: err %v, want a truncation report", cut, err)
		}
		whole := 0
		for _, off := range offsets {
			if off+recordHeaderSize+len(recs[whole]) <= cut {
				whole++
			} else {
				break
			}
		}
		checkRecords(t, got, recs[:whole])
		if ce.Records != whole {
			t.Fatalf("cut at %d: report counts %d good records, want %d", cut, ce.Records, whole)
		}
		if cut >= walHeaderSize {
			wantOff := walHeaderSize
			if whole > 0 {
				wantOff = offsets[whole-1] + recordHeaderSize + len(recs[whole-1])
			}
			if ce.Offset != int64(wantOff) {
				t.Fatalf("cut at %d: report offset %d, want %d", cut, ce.Offset, wantOff)
			}
		}
		// The brief's case: any cut inside the last record (or its trailer)
		// keeps all earlier records and names where the tear is.
		if cut >= lastOff && cut < trailerOff {
			if len(got) != len(recs)-1 || ce.Offset != int64(lastOff) {
				t.Fatalf("cut at %d in the last record: %d records, offset %d; want %d, %d",
					cut, len(got), ce.Offset, len(recs)-1, lastOff)
			}
			if !strings.Contains(ce.Error(), fmt.Sprintf("offset %d", lastOff)) {
				t.Fatalf("report %q does not say where", ce.Error())
			}
		}
	}
}

func recordOffsets(recs [][]byte) []int {
	offs := make([]int, len(recs))
	off := walHeaderSize
	for i, r := range recs {
		offs[i] = off
		off += recordHeaderSize + len(r)
	}
	return offs
}

// TestWALBitFlip flips every bit of a small segment: each flip is reported,
// and the records returned are always the untouched prefix.
func TestWALBitFlip(t *testing.T) {
	recs := testRecords(4)
	full := buildSegment(recs...)
	for i := range full {
		for bit := range 8 {
			data := bytes.Clone(full)
			data[i] ^= 1 << bit
			got, err := parseSegment("seg", data)
			if err == nil {
				t.Fatalf("flip of byte %d bit %d went unnoticed", i, bit)
			}
			var ce *CorruptError
			var ve *VersionError
			if !errors.As(err, &ce) && !errors.As(err, &ve) {
				t.Fatalf("flip of byte %d bit %d: %T %v, want *CorruptError or *VersionError", i, bit, err, err)
			}
			if len(got) > len(recs) {
				t.Fatalf("flip of byte %d bit %d: %d records", i, bit, len(got))
			}
			checkRecords(t, got, recs[:len(got)])
		}
	}

	// A flip in record 2's payload names record 2 and a CRC mismatch.
	data := bytes.Clone(full)
	off := recordOffsets(recs)[2]
	data[off+recordHeaderSize+1] ^= 0x10
	got, err := parseSegment("seg", data)
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.Problem != ProblemChecksum || ce.Offset != int64(off) || ce.Records != 2 {
		t.Fatalf("payload flip: %v, want CRC mismatch at offset %d after 2 records", err, off)
	}
	checkRecords(t, got, recs[:2])
}

func TestWALBadHeaders(t *testing.T) {
	good := buildSegment([]byte("x"))
	withByte := func(i int, v byte) []byte {
		b := bytes.Clone(good)
		b[i] = v
		return b
	}
	tests := []struct {
		name string
		data []byte
		want Problem // 0: expect a *VersionError
	}{
		{"empty file", nil, ProblemTruncated},
		{"magic prefix only", []byte("GSW"), ProblemTruncated},
		{"header cut", good[:6], ProblemTruncated},
		{"wrong magic", append([]byte("NOPE"), good[4:]...), ProblemBadMagic},
		{"text file", []byte("hello world\n"), ProblemBadMagic},
		{"version 0", withByte(5, 0), ProblemBadHeader},
		{"reserved set", withByte(7, 1), ProblemBadHeader},
		{"future version", withByte(5, 2), 0},
		{"trailing data", append(bytes.Clone(good), 0), ProblemTrailingData},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseSegment("/wal/s.wal", tc.data)
			if tc.want == 0 {
				var ve *VersionError
				if !errors.As(err, &ve) || ve.Version != 2 || ve.Supported != walVersion {
					t.Fatalf("err %v, want *VersionError for version 2", err)
				}
				if !strings.Contains(err.Error(), "newer gostream") {
					t.Fatalf("message %q does not say a newer gostream wrote it", err)
				}
				return
			}
			var ce *CorruptError
			if !errors.As(err, &ce) || ce.Problem != tc.want {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if ce.Path != "/wal/s.wal" || !strings.Contains(err.Error(), "/wal/s.wal") {
				t.Fatalf("report %q does not name the segment", err)
			}
		})
	}
}

func TestWALTrailerCountMismatch(t *testing.T) {
	b := appendSegmentHeader(nil)
	b = appendRecordHeader(b, []byte("x"))
	b = append(b, 'x')
	b = appendTrailer(b, 2)
	got, err := parseSegment("seg", b)
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.Problem != ProblemBadTrailer || len(got) != 1 {
		t.Fatalf("count mismatch: %d records, %v; want 1 and a bad-trailer report", len(got), err)
	}
}

func TestWALNeverReusesNames(t *testing.T) {
	ctx := t.Context()
	w := newTestWAL(t)
	a := writeSegment(t, w, walTime(0), walTime(200), testRecords(1))
	b := writeSegment(t, w, walTime(0), walTime(200), testRecords(2))
	if a.Name.Seq != 0 || b.Name.Seq != 1 {
		t.Fatalf("same range twice: seq %d and %d, want 0 and 1", a.Name.Seq, b.Name.Seq)
	}

	// A crashed writer left the next range's first name open and half written.
	next, _ := newSegmentName("recv-0", walTime(200), walTime(400), 0)
	leftover, err := w.fsys.Create(ctx, path.Join(w.Dir(), next.String()))
	if err != nil {
		t.Fatal(err)
	}
	defer leftover.Abort(ctx)
	if _, err := leftover.Write([]byte("GSWL\x00")); err != nil {
		t.Fatal(err)
	}
	// A restarted writer (new WAL value) must step past it and past a and b.
	w2, _ := NewWAL(w.fsys, w.Dir(), w.Stream())
	c := writeSegment(t, w2, walTime(200), walTime(400), testRecords(3))
	if c.Name.Seq != 1 {
		t.Fatalf("next to a leftover: seq %d, want 1", c.Name.Seq)
	}
	d := writeSegment(t, w2, walTime(0), walTime(200), testRecords(1))
	if d.Name.Seq != 2 {
		t.Fatalf("restarted writer on a used range: seq %d, want 2", d.Name.Seq)
	}
	for _, ref := range []SegmentRef{a, b} {
		if _, err := ReadSegment(ctx, w.fsys, ref.Path); err != nil {
			t.Fatalf("earlier segment %s damaged: %v", ref.Path, err)
		}
	}
}

func TestWALCreatesDirectory(t *testing.T) {
	w, _ := NewWAL(NewLocal(), path.Join(testDir(t), "a", "b"), "s")
	writeSegment(t, w, walTime(0), walTime(1), nil)
}

func TestWALWriteFailureLeavesNothing(t *testing.T) {
	ctx := t.Context()
	dir := testDir(t)
	commitErr := errors.New("datanode went away")
	w, _ := NewWAL(&faultFS{FS: NewLocal(), commitErr: commitErr}, dir, "s")
	if _, err := w.WriteSegment(ctx, walTime(0), walTime(1), testRecords(3)); !errors.Is(err, commitErr) {
		t.Fatalf("WriteSegment with a failing Commit: %v, want it wrapped", err)
	}
	w, _ = NewWAL(NewLocal(), dir, "s")
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := w.WriteSegment(cctx, walTime(0), walTime(1), testRecords(3)); !errors.Is(err, context.Canceled) {
		t.Fatalf("WriteSegment with a cancelled context: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("failed writes left %d files", len(entries))
	}
}

func TestWALBadRange(t *testing.T) {
	w := newTestWAL(t)
	if _, err := w.WriteSegment(t.Context(), walTime(10), walTime(5), nil); err == nil {
		t.Fatal("end before start accepted")
	}
	if _, err := w.WriteSegment(t.Context(), time.Unix(-1, 0), time.Unix(0, 0), nil); err == nil {
		t.Fatal("start before 1970 accepted")
	}
	if _, err := NewWAL(NewLocal(), "/x", ".hidden"); err == nil {
		t.Fatal("stream name starting with '.' accepted")
	}
}

func TestReadRecord(t *testing.T) {
	ctx := t.Context()
	w := newTestWAL(t)
	recs := testRecords(4)
	ref := writeSegment(t, w, walTime(0), walTime(200), recs)

	t.Run("via binary form", func(t *testing.T) {
		b, err := ref.Records[2].MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var r RecordRef
		if err := r.UnmarshalBinary(b); err != nil || r != ref.Records[2] {
			t.Fatalf("binary round trip: %v, %v; want %v", r, err, ref.Records[2])
		}
		data, err := ReadRecord(ctx, w.fsys, r)
		if err != nil || !bytes.Equal(data, recs[2]) {
			t.Fatalf("ReadRecord: %q, %v", data, err)
		}
	})
	t.Run("reader without ReadAt or Seek", func(t *testing.T) {
		for _, wrap := range []func(io.ReadCloser) io.ReadCloser{
			func(r io.ReadCloser) io.ReadCloser { return plainReader{r} },
			func(r io.ReadCloser) io.ReadCloser { return seekReader{r.(io.ReadSeekCloser)} },
		} {
			fsys := &faultFS{FS: w.fsys, openWrap: wrap}
			for i, rr := range ref.Records {
				data, err := ReadRecord(ctx, fsys, rr)
				if err != nil || !bytes.Equal(data, recs[i]) {
					t.Fatalf("ReadRecord(%v): %q, %v", rr, data, err)
				}
			}
			beyond := RecordRef{Segment: ref.Path, Offset: ref.Size + 10, Length: 3}
			var ce *CorruptError
			if _, err := ReadRecord(ctx, fsys, beyond); !errors.As(err, &ce) || ce.Problem != ProblemTruncated {
				t.Fatalf("ref beyond the end: %v, want truncated", err)
			}
		}
	})
	t.Run("survives a torn tail elsewhere", func(t *testing.T) {
		data, _ := os.ReadFile(ref.Path)
		torn := path.Join(w.Dir(), "torn.wal")
		if err := os.WriteFile(torn, data[:len(data)-trailerSize-3], 0o644); err != nil {
			t.Fatal(err)
		}
		r := ref.Records[1]
		r.Segment = torn
		if got, err := ReadRecord(ctx, w.fsys, r); err != nil || !bytes.Equal(got, recs[1]) {
			t.Fatalf("ReadRecord in a torn segment: %q, %v", got, err)
		}
	})
	bad := []struct {
		name  string
		ref   RecordRef
		check func(error) bool
	}{
		{"missing segment", RecordRef{Segment: ref.Path + "x", Offset: 8, Length: 1},
			func(err error) bool { return errors.Is(err, fs.ErrNotExist) }},
		{"offset in header", RecordRef{Segment: ref.Path, Offset: 2, Length: 1},
			func(err error) bool { return errors.Is(err, fs.ErrInvalid) }},
		{"no segment", RecordRef{Offset: 8}, func(err error) bool { return errors.Is(err, fs.ErrInvalid) }},
		{"wrong length", RecordRef{Segment: ref.Path, Offset: ref.Records[1].Offset, Length: ref.Records[1].Length + 1},
			func(err error) bool {
				var ce *CorruptError
				return errors.As(err, &ce) && ce.Problem == ProblemRefMismatch
			}},
		{"past the end", RecordRef{Segment: ref.Path, Offset: ref.Size - 4, Length: 100},
			func(err error) bool {
				var ce *CorruptError
				return errors.As(err, &ce) && ce.Problem == ProblemTruncated
			}},
		{"huge length", RecordRef{Segment: ref.Path, Offset: 8, Length: MaxRecordSize},
			func(err error) bool {
				var ce *CorruptError
				return errors.As(err, &ce) && ce.Problem == ProblemTruncated
			}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ReadRecord(ctx, w.fsys, tc.ref); !tc.check(err) {
				t.Fatalf("ReadRecord(%v): unexpected error %v", tc.ref, err)
			}
		})
	}
	t.Run("flipped bit", func(t *testing.T) {
		data, _ := os.ReadFile(ref.Path)
		r := ref.Records[3]
		data[r.Offset+recordHeaderSize] ^= 1
		flipped := path.Join(w.Dir(), "flipped.wal")
		if err := os.WriteFile(flipped, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r.Segment = flipped
		var ce *CorruptError
		if _, err := ReadRecord(ctx, w.fsys, r); !errors.As(err, &ce) || ce.Problem != ProblemChecksum {
			t.Fatalf("ReadRecord of a flipped record: %v, want CRC mismatch", err)
		}
		// Records before and after it are still fine.
		for _, i := range []int{0, 2} {
			other := ref.Records[i]
			other.Segment = flipped
			if got, err := ReadRecord(ctx, w.fsys, other); err != nil || !bytes.Equal(got, recs[i]) {
				t.Fatalf("ReadRecord of record %d next to a flipped one: %v", i, err)
			}
		}
	})
	t.Run("future version", func(t *testing.T) {
		data, _ := os.ReadFile(ref.Path)
		data[5] = 9
		p := path.Join(w.Dir(), "future.wal")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r := ref.Records[0]
		r.Segment = p
		var ve *VersionError
		if _, err := ReadRecord(ctx, w.fsys, r); !errors.As(err, &ve) {
			t.Fatalf("ReadRecord in a future-version segment: %v", err)
		}
	})
}

func TestRecordRefBinaryErrors(t *testing.T) {
	good, _ := RecordRef{Segment: "/a/b.wal", Offset: 8, Length: 3}.MarshalBinary()
	for _, b := range [][]byte{nil, {}, {2}, {1}, {1, 8}, {1, 0x80}, {1, 8, 3}, {1, 2, 3, 'x'}, good[:2]} {
		var r RecordRef
		if err := r.UnmarshalBinary(b); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("UnmarshalBinary(%q) = %v, want fs.ErrInvalid", b, err)
		}
	}
	if _, err := (RecordRef{}).MarshalBinary(); err == nil {
		t.Error("MarshalBinary of a zero ref succeeded")
	}
}

func TestWALSegmentsAndReplay(t *testing.T) {
	ctx := t.Context()
	w := newTestWAL(t)
	// Written out of time order; listed and replayed in time order.
	s3 := writeSegment(t, w, walTime(400), walTime(600), [][]byte{[]byte("e")})
	s1 := writeSegment(t, w, walTime(0), walTime(200), [][]byte{[]byte("a"), []byte("b")})
	writeSegment(t, w, walTime(200), walTime(400), [][]byte{[]byte("c"), []byte("d")})
	writeSegment(t, w, walTime(600), walTime(800), nil)

	// Damage: a torn copy, a file with a segment name but no WAL inside,
	// a temporary file, a foreign file, another stream, a subdirectory.
	full, _ := os.ReadFile(s3.Path)
	torn, _ := newSegmentName("recv-0", walTime(800), walTime(1000), 0)
	junk, _ := newSegmentName("recv-0", walTime(1000), walTime(1200), 0)
	other, _ := newSegmentName("recv-1", walTime(0), walTime(200), 0)
	tmp, _ := newSegmentName("recv-0", walTime(1200), walTime(1400), 0)
	files := map[string][]byte{
		torn.String():               full[:len(full)-2],
		junk.String():               []byte("not a wal"),
		other.String():              buildSegment([]byte("other")),
		TempPrefix + tmp.String():   []byte("GSWL"),
		"README":                    []byte("hi"),
		"recv-0-1-2-3.wal":          buildSegment([]byte("bad name")),
		TempPrefix + other.String(): nil,
	}
	for name, data := range files {
		if err := os.WriteFile(path.Join(w.Dir(), name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(path.Join(w.Dir(), "sub"), 0o755); err != nil {
		t.Fatal(err)
	}

	segs, problems, err := w.Segments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(segs) != 6 || segs[0].Path != s1.Path || segs[2].Path != s3.Path {
		t.Fatalf("Segments = %+v", segs)
	}
	if len(problems) != 1 {
		t.Fatalf("Segments problems = %v, want the temporary file", problems)
	}

	var got []string
	problems, err = w.Replay(ctx, func(r Record) error {
		got = append(got, string(r.Data))
		return nil
	})
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	// The torn copy of the "e" segment still yields its whole record.
	if strings.Join(got, "") != "abcdee" {
		t.Fatalf("Replay delivered %q, want %q", got, "abcdee")
	}
	var kinds []string
	for _, p := range problems {
		var ce *CorruptError
		if !errors.As(p, &ce) {
			t.Fatalf("problem %v is not a *CorruptError", p)
		}
		kinds = append(kinds, ce.Problem.String())
	}
	if strings.Join(kinds, ",") != "temporary file,truncated,bad magic" {
		t.Fatalf("Replay problems %v", problems)
	}

	stop := errors.New("stop")
	if _, err := w.Replay(ctx, func(Record) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("Replay with a failing callback: %v", err)
	}

	// A newer format stops the replay.
	future := bytes.Clone(full)
	future[5] = 2
	fn, _ := newSegmentName("recv-0", walTime(900), walTime(950), 0)
	if err := os.WriteFile(path.Join(w.Dir(), fn.String()), future, 0o644); err != nil {
		t.Fatal(err)
	}
	var ve *VersionError
	if _, err := w.Replay(ctx, func(Record) error { return nil }); !errors.As(err, &ve) {
		t.Fatalf("Replay over a future-version segment: %v, want *VersionError", err)
	}
}

func TestWALSegmentsMissingDir(t *testing.T) {
	w, _ := NewWAL(NewLocal(), path.Join(testDir(t), "none"), "s")
	segs, problems, err := w.Segments(t.Context())
	if err != nil || len(segs) != 0 || len(problems) != 0 {
		t.Fatalf("Segments of a missing directory: %v %v %v", segs, problems, err)
	}
	w, _ = NewWAL(&faultFS{FS: NewLocal(), readDirErr: fs.ErrPermission}, testDir(t), "s")
	if _, _, err := w.Segments(t.Context()); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("Segments of an unreadable directory: %v, want fs.ErrPermission", err)
	}
}
