package engine_test

import (
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/engine"
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

// runStateful runs a statefulApp for batches 1..n (its states are over a
// queue stream, so they are snapshotted every batch) and stops it.
func runStateful(t *testing.T, dir string, pushes [][]string, n int, kv ...string) {
	t.Helper()
	app := newStatefulApp(pushes)
	r, err := newRig(t, dir, rigStart, app.setup, nil, kv...)
	must(t, err)
	must(t, r.ssc.Start())
	for i := 1; i <= n; i++ {
		r.advance(i)
		name := filepath.Join(dir, hdfsstore.CheckpointName(rigBatch(i)))
		eventually(t, name, func() bool { _, err := os.Stat(name); return err == nil })
	}
	r.ssc.Stop(false)
}

func TestRecoveryDamagedSnapshotFallsBackToAnOlderCheckpoint(t *testing.T) {
	dir := t.TempDir()
	pushes := [][]string{{"a", "b"}, {"a"}, {"c", "a"}, {"b"}, {"a", "d"}, {"d"}, {"e"}}
	runStateful(t, dir, pushes, 3)
	newest, err := filepath.Glob(filepath.Join(dir, "state", "*-"+strconv.FormatInt(rigBatch(3).UnixMilli(), 10)))
	if err != nil || len(newest) == 0 {
		t.Fatalf("no snapshot of batch 3: %v", err)
	}
	truncateHalf(t, newest[0])

	logs := &syncBuffer{}
	second := newStatefulApp(pushes)
	r2, err := newRig(t, dir, rigBatch(5).Add(300*time.Millisecond), second.setup,
		[]engine.Option{engine.WithLogger(slog.New(slog.NewTextHandler(logs, nil)))})
	must(t, err)
	must(t, r2.ssc.Start())
	r2.waitFor(5)
	r2.advance(6)
	for i := 3; i <= 6; i++ {
		if got, want := second.totals[rigBatch(i).UnixMilli()], wantTotals(pushes, i); !maps.Equal(got, want) {
			t.Errorf("after the fallback, batch %d: state %v, want %v", i, got, want)
		}
	}
	if got := second.mapped[rigBatch(6).UnixMilli()]; got["d"] != 2 {
		t.Errorf("mapWithState after the fallback: running count of d = %d, want 2 (all: %v)", got["d"], got)
	}
	if l := logs.String(); !containsAll(l, "checkpoint unusable, trying an older one", filepath.ToSlash(newest[0]), "CRC mismatch") {
		t.Errorf("the log does not say which snapshot was skipped and why:\n%s", l)
	}
}

func TestRecoveryEverySnapshotDamagedFailsNamingThem(t *testing.T) {
	dir := t.TempDir()
	// Two checkpoints retained: none is older than the first snapshots.
	runStateful(t, dir, [][]string{{"a"}, {"b"}, {"c"}, {"d"}}, 4, conf.CheckpointRetained, "2")
	snaps, err := filepath.Glob(filepath.Join(dir, "state", "*"))
	if err != nil || len(snaps) == 0 {
		t.Fatalf("no snapshots: %v", err)
	}
	for _, s := range snaps {
		must(t, os.WriteFile(s, []byte("GSSN garbage"), 0o644))
	}
	_, err = newRig(t, dir, rigBatch(4).Add(time.Millisecond), newStatefulApp(nil).setup, nil)
	var de *engine.DamagedCheckpointError
	var ce *hdfsstore.CorruptError
	if !errors.As(err, &de) || !errors.As(err, &ce) || ce.Kind != hdfsstore.KindSnapshot {
		t.Fatalf("err = %v, want a *engine.DamagedCheckpointError wrapping the snapshots' *hdfsstore.CorruptError", err)
	}
	msg := err.Error()
	for _, s := range snaps {
		want := 0 // a file no remaining checkpoint refers to is not named
		if strings.HasSuffix(s, strconv.FormatInt(rigBatch(4).UnixMilli(), 10)) {
			want = 1 // the newest checkpoint's
		}
		if n := strings.Count(msg, filepath.ToSlash(s)); n > 1 || n < want {
			t.Errorf("the error names %s %d times, want %d:\n%s", s, n, want, msg)
		}
	}
	if !containsAll(msg, "restore them from a backup", "move the checkpoint directory aside") {
		t.Errorf("the error does not say what to do:\n%s", msg)
	}
}

// Every retained checkpoint can be recovered from: the snapshots it refers
// to are still there after cleaning, so a damaged newer one has an older
// one to fall back on.
func TestCheckpointCleanupKeepsWhatRetainedCheckpointsReferTo(t *testing.T) {
	dir := t.TempDir()
	a := newWALApp()
	r, err := newRig(t, dir, rigStart, a.setup, nil, conf.ReceiverWALEnable, "true", conf.CheckpointRetained, "4")
	must(t, err)
	must(t, r.ssc.Start())
	for i := 1; i <= 45; i++ {
		must(t, a.recv.store(t, "x"))
		r.advance(i)
	}
	r.ssc.Stop(true)
	ckpts, err := filepath.Glob(filepath.Join(dir, "checkpoint-*"))
	must(t, err)
	for _, ck := range ckpts {
		b, err := os.ReadFile(ck)
		must(t, err)
		var payload struct {
			Snapshots []struct{ Path string }
		}
		must(t, json.Unmarshal(b[28:], &payload)) // after the checkpoint header (hdfsstore/doc.go)
		for _, s := range payload.Snapshots {
			if _, err := os.Stat(s.Path); err != nil {
				t.Errorf("%s refers to %s: %v", filepath.Base(ck), s.Path, err)
			}
		}
	}
}
