package hdfsstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
)

// RecordRef locates one WAL record. The engine keeps these in its metadata log
// and checkpoints and reads the record back with ReadRecord, so a ref is small
// and has a stable binary form (MarshalBinary) as well as JSON field names.
type RecordRef struct {
	Segment string `json:"segment"` // path of the segment file
	Offset  int64  `json:"offset"`  // byte offset of the record's length field
	Length  uint32 `json:"length"`  // payload length in bytes
}

func (r RecordRef) String() string {
	return r.Segment + "@" + strconv.FormatInt(r.Offset, 10) + "+" + strconv.FormatUint(uint64(r.Length), 10)
}

// refEncoding versions RecordRef's binary form.
const refEncoding = 1

// AppendBinary appends the binary form: a version byte (1), offset and length
// as unsigned varints, then the segment path's bytes.
func (r RecordRef) AppendBinary(b []byte) ([]byte, error) {
	if err := r.validate(); err != nil {
		return b, err
	}
	b = append(b, refEncoding)
	b = binary.AppendUvarint(b, uint64(r.Offset))
	b = binary.AppendUvarint(b, uint64(r.Length))
	return append(b, r.Segment...), nil
}

// MarshalBinary returns the form described at AppendBinary.
func (r RecordRef) MarshalBinary() ([]byte, error) {
	return r.AppendBinary(make([]byte, 0, 1+10+5+len(r.Segment)))
}

// UnmarshalBinary parses the form described at AppendBinary.
func (r *RecordRef) UnmarshalBinary(b []byte) error {
	bad := func(why string) error {
		return fmt.Errorf("decode WAL record ref: %s: %w", why, fs.ErrInvalid)
	}
	if len(b) == 0 || b[0] != refEncoding {
		return bad("unknown encoding")
	}
	b = b[1:]
	off, n := binary.Uvarint(b)
	if n <= 0 {
		return bad("bad offset")
	}
	b = b[n:]
	length, n := binary.Uvarint(b)
	if n <= 0 || length > MaxRecordSize {
		return bad("bad length")
	}
	ref := RecordRef{Segment: string(b[n:]), Offset: int64(off), Length: uint32(length)}
	if off > 1<<62 {
		return bad("offset out of range")
	}
	if err := ref.validate(); err != nil {
		return err
	}
	*r = ref
	return nil
}

var errBadRef = errors.New("invalid WAL record ref")

// validate rejects refs no writer produces, so they fail early with a clear
// error instead of reading garbage.
func (r RecordRef) validate() error {
	switch {
	case r.Segment == "":
		return fmt.Errorf("%w %v: no segment: %w", errBadRef, r, fs.ErrInvalid)
	case r.Offset < walHeaderSize:
		return fmt.Errorf("%w %v: offset inside the segment header: %w", errBadRef, r, fs.ErrInvalid)
	case r.Length > MaxRecordSize:
		return fmt.Errorf("%w %v: length above MaxRecordSize: %w", errBadRef, r, fs.ErrInvalid)
	}
	return nil
}

// SegmentRef describes a committed segment: what WriteSegment returns once the
// segment is durable.
type SegmentRef struct {
	Name    SegmentName
	Path    string
	Size    int64       // bytes in the file
	Records []RecordRef // one per record written, in order
}
