package hdfsstore

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// The segment format; doc.go describes it byte by byte.
const (
	walMagic         = "GSWL"
	walVersion       = 1
	walHeaderSize    = 8  // magic, version, reserved
	recordHeaderSize = 8  // length, CRC
	trailerSize      = 12 // marker, count, CRC
	trailerMarker    = 0xFFFFFFFF

	// MaxRecordSize is the largest WAL record payload; the length value
	// above it marks the trailer.
	MaxRecordSize = trailerMarker - 1
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Record is one WAL record: its payload and where it is stored.
type Record struct {
	Ref  RecordRef
	Data []byte
}

func appendSegmentHeader(b []byte) []byte {
	b = append(b, walMagic...)
	b = binary.BigEndian.AppendUint16(b, walVersion)
	return binary.BigEndian.AppendUint16(b, 0) // reserved
}

// appendRecordHeader appends a record's length and CRC; the CRC covers the
// four length bytes and the payload, so a damaged length is caught too.
func appendRecordHeader(b []byte, payload []byte) []byte {
	var l [4]byte
	binary.BigEndian.PutUint32(l[:], uint32(len(payload)))
	crc := crc32.Update(crc32.Checksum(l[:], crcTable), crcTable, payload)
	b = append(b, l[:]...)
	return binary.BigEndian.AppendUint32(b, crc)
}

func appendTrailer(b []byte, count uint32) []byte {
	start := len(b)
	b = binary.BigEndian.AppendUint32(b, trailerMarker)
	b = binary.BigEndian.AppendUint32(b, count)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b[start:], crcTable))
}

// checkSegmentHeader verifies the first bytes of a segment; hdr may be
// shorter than the header when the file is.
func checkSegmentHeader(path string, hdr []byte) error {
	corrupt := func(p Problem, detail string) error {
		return &CorruptError{Kind: kindSegment, Path: path, Problem: p, Detail: detail}
	}
	n := min(len(hdr), len(walMagic))
	if string(hdr[:n]) != walMagic[:n] {
		return corrupt(ProblemBadMagic, fmt.Sprintf("starts with %q, want %q", hdr[:n], walMagic))
	}
	if len(hdr) < walHeaderSize {
		return corrupt(ProblemTruncated, fmt.Sprintf("%d bytes, shorter than the %d-byte header", len(hdr), walHeaderSize))
	}
	switch v := binary.BigEndian.Uint16(hdr[4:]); {
	case v > walVersion:
		return &VersionError{Kind: kindSegment, Path: path, Version: v, Supported: walVersion}
	case v == 0:
		return corrupt(ProblemBadHeader, "version 0")
	}
	if r := binary.BigEndian.Uint16(hdr[6:]); r != 0 {
		return corrupt(ProblemBadHeader, fmt.Sprintf("reserved field is %#x, want 0", r))
	}
	return nil
}

// parseSegment verifies a whole segment and returns its records, which alias
// data. On damage it returns the records before it and a *CorruptError (or
// a *VersionError for a newer format); it never panics, whatever data holds.
func parseSegment(path string, data []byte) ([]Record, error) {
	if err := checkSegmentHeader(path, data[:min(len(data), walHeaderSize)]); err != nil {
		return nil, err
	}
	var recs []Record
	corrupt := func(off int, p Problem, detail string) ([]Record, error) {
		return recs, &CorruptError{Kind: kindSegment, Path: path, Offset: int64(off), Records: len(recs), Problem: p, Detail: detail}
	}
	off := walHeaderSize
	for {
		left := len(data) - off
		if left == 0 {
			return corrupt(off, ProblemTruncated, "no trailer")
		}
		if left < 4 {
			return corrupt(off, ProblemTruncated, fmt.Sprintf("%d bytes left, too few for a record length", left))
		}
		length := binary.BigEndian.Uint32(data[off:])
		if length == trailerMarker {
			if left < trailerSize {
				return corrupt(off, ProblemTruncated, fmt.Sprintf("trailer cut off after %d of %d bytes", left, trailerSize))
			}
			t := data[off : off+trailerSize]
			if got, want := binary.BigEndian.Uint32(t[8:]), crc32.Checksum(t[:8], crcTable); got != want {
				return corrupt(off, ProblemBadTrailer, fmt.Sprintf("trailer CRC %#08x, computed %#08x", got, want))
			}
			if n := binary.BigEndian.Uint32(t[4:]); uint64(n) != uint64(len(recs)) {
				return corrupt(off, ProblemBadTrailer, fmt.Sprintf("trailer counts %d records, found %d", n, len(recs)))
			}
			if extra := left - trailerSize; extra > 0 {
				return corrupt(off+trailerSize, ProblemTrailingData, fmt.Sprintf("%d bytes after the trailer", extra))
			}
			return recs, nil
		}
		if left < recordHeaderSize {
			return corrupt(off, ProblemTruncated, fmt.Sprintf("record header cut off after %d of %d bytes", left, recordHeaderSize))
		}
		if uint64(length) > uint64(left-recordHeaderSize) {
			return corrupt(off, ProblemTruncated, fmt.Sprintf("record length %d exceeds the %d bytes left", length, left-recordHeaderSize))
		}
		end := off + recordHeaderSize + int(length)
		payload := data[off+recordHeaderSize : end : end]
		stored := binary.BigEndian.Uint32(data[off+4:])
		if crc := crc32.Update(crc32.Checksum(data[off:off+4], crcTable), crcTable, payload); crc != stored {
			return corrupt(off, ProblemChecksum, fmt.Sprintf("record of %d bytes: stored CRC %#08x, computed %#08x", length, stored, crc))
		}
		recs = append(recs, Record{
			Ref:  RecordRef{Segment: path, Offset: int64(off), Length: length},
			Data: payload,
		})
		off = end
	}
}
