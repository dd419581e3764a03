package hdfsstore

import (
	"fmt"
)

// Problem says what is wrong with a damaged WAL segment or checkpoint file.
type Problem int

const (
	// ProblemTruncated: the file ends inside a header, a record or the
	// trailer, or the trailer is missing. A writer that crashed before
	// committing leaves such a tail; what it held was never acknowledged.
	ProblemTruncated Problem = iota + 1
	// ProblemChecksum: a CRC-32C does not match the bytes it covers.
	ProblemChecksum
	// ProblemBadMagic: the file does not start with the format's magic, so
	// it is not a file of this kind at all.
	ProblemBadMagic
	// ProblemBadHeader: the header has the right magic but impossible fields
	// (unknown version 0, reserved bits set, a time that disagrees with the
	// file name).
	ProblemBadHeader
	// ProblemBadTrailer: the WAL trailer's checksum or record count is wrong.
	ProblemBadTrailer
	// ProblemTrailingData: bytes follow the end of the data.
	ProblemTrailingData
	// ProblemRefMismatch: the record at a RecordRef's offset has another
	// length than the ref says; the ref does not belong to this segment.
	ProblemRefMismatch
	// ProblemTempFile: a file of a WAL stream still has its temporary
	// name, so it was never put in place.
	ProblemTempFile
	// ProblemMissing: a file another one refers to (a checkpoint's state
	// snapshot) is not there.
	ProblemMissing
)

func (p Problem) String() string {
	switch p {
	case ProblemTruncated:
		return "truncated"
	case ProblemChecksum:
		return "CRC mismatch"
	case ProblemBadMagic:
		return "bad magic"
	case ProblemBadHeader:
		return "bad header"
	case ProblemBadTrailer:
		return "bad trailer"
	case ProblemTrailingData:
		return "trailing data"
	case ProblemRefMismatch:
		return "record reference mismatch"
	case ProblemTempFile:
		return "temporary file"
	case ProblemMissing:
		return "missing"
	default:
		return fmt.Sprintf("Problem(%d)", int(p))
	}
}

// CorruptError reports a damaged WAL segment or checkpoint file: where the
// damage starts and what it is. Everything before Offset was read and
// verified; for a WAL segment, Records says how many records that is, and the
// reader returns them along with the error.
type CorruptError struct {
	Kind    string // "WAL segment", "checkpoint" or KindSnapshot
	Path    string
	Offset  int64 // first byte that could not be verified
	Records int   // WAL only: good records before Offset
	Problem Problem
	Detail  string // specifics, e.g. "record length 512 exceeds the 20 bytes left"
	// Committed: the damaged part was committed, so what it held was
	// acknowledged (a record the metadata log refers to, a state snapshot):
	// it is lost unless the file is restored.
	Committed bool
}

func (e *CorruptError) Error() string {
	msg := fmt.Sprintf("%s %s: %s at offset %d", e.Kind, e.Path, e.Problem, e.Offset)
	if e.Kind == kindSegment && e.Problem != ProblemTempFile && !e.Committed { // ReadRecord counts no records
		msg += fmt.Sprintf(" after %d good records", e.Records)
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	switch {
	case e.Committed:
		msg += " (it was committed: what it held is lost unless the file is restored from a backup)"
	case e.Problem == ProblemTruncated:
		if e.Kind == kindSegment {
			msg += " (a writer that crashed before committing leaves this; nothing in it was acknowledged)"
		}
	case e.Problem == ProblemBadMagic:
		msg += fmt.Sprintf(" (not a gostream %s; move it out of the directory)", e.Kind)
	case e.Problem == ProblemTempFile:
		msg += " (never committed; the cleaner removes it)"
	}
	return msg
}

// VersionError reports a file written in a newer format than this binary
// reads. It is never skipped silently: falling back to older data would hide
// that an older gostream is running against a newer one's directory.
type VersionError struct {
	Kind      string // "WAL segment" or "checkpoint"
	Path      string
	Version   uint16 // found in the file
	Supported uint16 // the newest version this binary reads
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("%s %s has format version %d but this gostream binary reads only up to version %d: "+
		"it was written by a newer gostream; run that version (or newer) against this directory",
		e.Kind, e.Path, e.Version, e.Supported)
}

const (
	kindSegment    = "WAL segment"
	kindCheckpoint = "checkpoint"
	// KindSnapshot is the Kind of a damaged state snapshot, which the
	// engine reads and verifies.
	KindSnapshot = "state snapshot"
)
