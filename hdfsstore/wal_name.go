package hdfsstore

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SegmentName identifies a WAL segment file:
//
//	<stream>-<startMs>-<endMs>-<seq>.wal
//
// startMs and endMs are Unix milliseconds, zero-padded to 19 digits; seq is
// zero-padded to 10 digits. The fixed widths make the names of one stream sort
// by (start, end, seq), so a listing is in time order and the cleaner can drop
// whole files by their end time without opening them.
type SegmentName struct {
	Stream string
	Start  time.Time // whole milliseconds
	End    time.Time // whole milliseconds, not before Start
	Seq    uint32    // tells apart segments of one stream with the same range
}

const (
	segmentExt     = ".wal"
	msDigits       = 19 // fits every non-negative int64
	seqDigits      = 10 // fits every uint32
	maxStreamBytes = 200
)

// newSegmentName rounds start down and end up to whole milliseconds, so the
// name's range covers [start, end] and the cleaner never drops a segment
// early.
func newSegmentName(stream string, start, end time.Time, seq uint32) (SegmentName, error) {
	if err := ValidateStreamName(stream); err != nil {
		return SegmentName{}, err
	}
	if end.Before(start) {
		return SegmentName{}, fmt.Errorf("WAL segment range: end %v is before start %v", end, start)
	}
	if start.Before(time.UnixMilli(0)) {
		return SegmentName{}, fmt.Errorf("WAL segment range: start %v is before 1970", start)
	}
	startMs := start.UnixMilli()
	endMs := end.UnixMilli()
	if time.UnixMilli(endMs).Before(end) {
		endMs++
	}
	if endMs < startMs { // overflow at the far end of time.Time's range
		return SegmentName{}, fmt.Errorf("WAL segment range: end %v is out of range", end)
	}
	return SegmentName{
		Stream: stream,
		Start:  time.UnixMilli(startMs).UTC(),
		End:    time.UnixMilli(endMs).UTC(),
		Seq:    seq,
	}, nil
}

// String returns the file name (no directory).
func (n SegmentName) String() string {
	return fmt.Sprintf("%s-%0*d-%0*d-%0*d%s", n.Stream,
		msDigits, n.Start.UnixMilli(), msDigits, n.End.UnixMilli(), seqDigits, n.Seq, segmentExt)
}

// less orders segments of one stream: by start, end, then seq.
func (n SegmentName) less(m SegmentName) bool {
	if !n.Start.Equal(m.Start) {
		return n.Start.Before(m.Start)
	}
	if !n.End.Equal(m.End) {
		return n.End.Before(m.End)
	}
	return n.Seq < m.Seq
}

func (n SegmentName) sameRange(m SegmentName) bool {
	return n.Stream == m.Stream && n.Start.Equal(m.Start) && n.End.Equal(m.End)
}

// ParseSegmentName parses a segment file name (no directory). It accepts
// exactly what String produces, so one segment has one name.
func ParseSegmentName(base string) (SegmentName, error) {
	bad := func(why string) (SegmentName, error) {
		return SegmentName{}, fmt.Errorf("%q is not a WAL segment name (<stream>-<startMs>-<endMs>-<seq>.wal): %s", base, why)
	}
	rest, ok := strings.CutSuffix(base, segmentExt)
	if !ok {
		return bad("no " + segmentExt + " suffix")
	}
	// The stream may contain '-', so take the three numbers from the right.
	var fields [3]string
	for i := 2; i >= 0; i-- {
		j := strings.LastIndexByte(rest, '-')
		if j < 0 {
			return bad("too few fields")
		}
		fields[i], rest = rest[j+1:], rest[:j]
	}
	if err := ValidateStreamName(rest); err != nil {
		return bad(err.Error())
	}
	startMs, ok1 := parseFixed(fields[0], msDigits)
	endMs, ok2 := parseFixed(fields[1], msDigits)
	seq, ok3 := parseFixed(fields[2], seqDigits)
	if !ok1 || !ok2 || !ok3 || seq > 1<<32-1 || startMs > 1<<63-1 || endMs > 1<<63-1 {
		return bad("malformed number")
	}
	if endMs < startMs {
		return bad("end before start")
	}
	return SegmentName{
		Stream: rest,
		Start:  time.UnixMilli(int64(startMs)).UTC(),
		End:    time.UnixMilli(int64(endMs)).UTC(),
		Seq:    uint32(seq),
	}, nil
}

// parseFixed parses exactly width decimal digits.
func parseFixed(s string, width int) (uint64, bool) {
	if len(s) != width {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(s, 10, 64)
	return v, err == nil
}

// ValidateStreamName checks that a WAL stream name is usable in file names:
// 1 to 200 bytes of ASCII letters, digits, '.', '_' and '-', not starting
// with '.' (hidden and temporary files start with '.').
func ValidateStreamName(stream string) error {
	if stream == "" || len(stream) > maxStreamBytes {
		return fmt.Errorf("WAL stream name %q: must be 1 to %d bytes", stream, maxStreamBytes)
	}
	if stream[0] == '.' {
		return fmt.Errorf("WAL stream name %q: must not start with '.'", stream)
	}
	for i := 0; i < len(stream); i++ {
		c := stream[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("WAL stream name %q: byte %q not allowed (use letters, digits, '.', '_', '-')", stream, c)
		}
	}
	return nil
}
