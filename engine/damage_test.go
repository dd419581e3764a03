package engine_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/hdfsstore"
)

// newestSegment returns the newest WAL segment of stream 0.
func newestSegment(t *testing.T, dir string) string {
	t.Helper()
	segs, err := filepath.Glob(filepath.Join(dir, "receivedData", "0", "recv-*"))
	if err != nil || len(segs) == 0 {
		t.Fatalf("no WAL segments in %s: %v", dir, err)
	}
	slices.Sort(segs) // one block per segment; names sort by time here
	return segs[len(segs)-1]
}

// truncateHalf cuts a file in the middle.
func truncateHalf(t *testing.T, name string) {
	t.Helper()
	info, err := os.Stat(name)
	must(t, err)
	must(t, os.Truncate(name, info.Size()/2))
}

// crashWithUnprocessedBlock runs a WAL app for one batch, stores a block of
// three records that no batch takes, and stops as a crash would; it returns
// the segment holding that block.
func crashWithUnprocessedBlock(t *testing.T, dir string) string {
	t.Helper()
	a1 := newWALApp()
	r1, err := newRig(t, dir, rigStart, a1.setup, nil, conf.ReceiverWALEnable, "true")
	must(t, err)
	must(t, r1.ssc.Start())
	must(t, a1.recv.store(t, "a", "b"))
	r1.advance(1)
	must(t, a1.recv.store(t, "a", "c", "c"))
	r1.ssc.Stop(false)
	return newestSegment(t, dir)
}

func TestWALDamagedCommittedSegmentStopsWithOneReadableError(t *testing.T) {
	dir := t.TempDir()
	seg := crashWithUnprocessedBlock(t, dir)
	truncateHalf(t, seg)

	a2 := newWALApp()
	r2, err := newRig(t, dir, rigBatch(1).Add(500*time.Millisecond), a2.setup, nil, conf.ReceiverWALEnable, "true")
	must(t, err)
	must(t, r2.ssc.Start())
	r2.clock.Set(rigBatch(2))
	err = waitDone(t, r2.ssc)
	var ce *hdfsstore.CorruptError
	if !errors.As(err, &ce) || !ce.Committed || ce.Path != filepath.ToSlash(seg) {
		t.Fatalf("error %v: want a committed *hdfsstore.CorruptError for %s", err, seg)
	}
	msg := err.Error()
	t.Log(msg)
	if !containsAll(msg, seg, "3 records", "batch "+strconv.FormatInt(rigBatch(2).UnixMilli(), 10), conf.ReceiverWALSkipDamaged, "restored") ||
		strings.Contains(msg, "nothing in it was acknowledged") {
		t.Errorf("error does not name the segment, its records and batch, and the way forward:\n%s", msg)
	}
	if strings.Count(msg, seg) != 1 {
		t.Errorf("error names the segment %d times, want once:\n%s", strings.Count(msg, seg), msg)
	}
}

func TestWALSkipDamagedCompletesTheBatchAndReportsTheSkippedRecords(t *testing.T) {
	dir := t.TempDir()
	seg := crashWithUnprocessedBlock(t, dir)
	truncateHalf(t, seg)

	a2 := newWALApp()
	r2, err := newRig(t, dir, rigBatch(1).Add(500*time.Millisecond), a2.setup, nil,
		conf.ReceiverWALEnable, "true", conf.ReceiverWALSkipDamaged, "true")
	must(t, err)
	errs := &errorListener{}
	r2.ssc.AddListener(errs)
	must(t, r2.ssc.Start())
	must(t, a2.recv.store(t, "d"))
	r2.advance(2)
	if got := a2.total(2, "a"); got != 1 {
		t.Errorf("a = %d, want 1 (the damaged block's a is skipped)", got)
	}
	if got := a2.total(2, "d"); got != 1 {
		t.Errorf("d = %d, want 1 (the batch keeps the blocks it could read)", got)
	}
	eventually(t, "the skipped records reported to listeners", func() bool {
		for _, e := range errs.all() {
			var ce *hdfsstore.CorruptError
			if errors.As(e, &ce) && strings.Contains(e.Error(), "skipped 3 records") {
				return true
			}
		}
		return false
	})
}
