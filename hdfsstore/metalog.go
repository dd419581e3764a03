package hdfsstore

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Log is the driver's metadata log (blocks added, blocks allocated to a batch,
// batches cleaned up): small records in the WAL segment format, one segment
// per Append, replayed in append order. It adds to WAL only the guarantee of
// order: segment names never go backwards in time, even if the clock does or
// the driver restarts.
//
// Each record is the unit of atomicity: after a crash during Append, a
// prefix of that Append's records may replay (see WAL.Replay). Put what must
// be all-or-nothing into one record.
type Log struct {
	wal *WAL

	mu    sync.Mutex // serializes Appends so name order is append order
	floor time.Time  // the newest segment start; later appends never name an earlier time
}

// OpenLog opens the log named name in dir, creating nothing yet. It lists the
// existing segments so that new ones sort after them.
func OpenLog(ctx context.Context, fsys FS, dir, name string) (*Log, error) {
	w, err := NewWAL(fsys, dir, name)
	if err != nil {
		return nil, err
	}
	segs, _, err := w.Segments(ctx)
	if err != nil {
		return nil, fmt.Errorf("open metadata log: %w", err)
	}
	l := &Log{wal: w}
	if len(segs) > 0 {
		newest := segs[len(segs)-1].Name
		w.observe(newest)
		l.floor = newest.Start
	}
	return l, nil
}

// WAL returns the underlying WAL, for listing and reading by ref.
func (l *Log) WAL() *WAL { return l.wal }

// Append writes records as one segment stamped at (returns once durable; see
// WAL.WriteSegment for the durability order). If at is before the newest
// segment, the segment is stamped with that segment's time instead, and a
// higher sequence number keeps it after.
func (l *Log) Append(ctx context.Context, at time.Time, records ...[]byte) (SegmentRef, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if at.Before(l.floor) {
		at = l.floor
	}
	ref, err := l.wal.WriteSegment(ctx, at, at, records)
	if err != nil {
		return SegmentRef{}, fmt.Errorf("append to metadata log %s: %w", l.wal.stream, err)
	}
	l.floor = ref.Name.Start
	return ref, nil
}

// Replay calls fn for each record in append order; see WAL.Replay for how
// damage is reported.
func (l *Log) Replay(ctx context.Context, fn func(Record) error) (problems []error, err error) {
	return l.wal.Replay(ctx, fn)
}

// Clean deletes the segments appended at or before before; see WAL.Clean.
func (l *Log) Clean(ctx context.Context, before time.Time) (CleanReport, error) {
	return l.wal.Clean(ctx, before)
}
