package hdfsstore

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
)

func TestWALClean(t *testing.T) {
	ctx := t.Context()
	w := newTestWAL(t)
	s100 := writeSegment(t, w, walTime(0), walTime(100), testRecords(1))
	s200 := writeSegment(t, w, walTime(100), walTime(200), testRecords(1))
	s300 := writeSegment(t, w, walTime(200), walTime(300), testRecords(1))
	torn, _ := newSegmentName("recv-0", walTime(150), walTime(190), 0)
	tmpOld, _ := newSegmentName("recv-0", walTime(0), walTime(50), 0)
	tmpNew, _ := newSegmentName("recv-0", walTime(300), walTime(400), 0)
	other, _ := newSegmentName("recv-1", walTime(0), walTime(100), 0)
	for name, data := range map[string]string{
		torn.String():                "GSWL",
		TempPrefix + tmpOld.String(): "",
		TempPrefix + tmpNew.String(): "",
		other.String():               "",
		"notes.txt":                  "keep me",
	} {
		if err := os.WriteFile(path.Join(w.Dir(), name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(path.Join(w.Dir(), "subdir"), 0o755); err != nil {
		t.Fatal(err)
	}

	rep, err := w.Clean(ctx, walTime(200))
	if err != nil {
		t.Fatalf("Clean: %v", err)
	}
	wantRemoved := []string{s100.Path, s200.Path, path.Join(w.Dir(), torn.String()), path.Join(w.Dir(), TempPrefix+tmpOld.String())}
	slices.Sort(wantRemoved)
	slices.Sort(rep.Removed)
	if !slices.Equal(rep.Removed, wantRemoved) {
		t.Fatalf("Removed %q\nwant    %q", rep.Removed, wantRemoved)
	}
	wantIgnored := []string{path.Join(w.Dir(), "notes.txt"), path.Join(w.Dir(), "subdir")}
	if !slices.Equal(rep.Ignored, wantIgnored) {
		t.Fatalf("Ignored %q, want %q", rep.Ignored, wantIgnored)
	}
	left, _ := os.ReadDir(w.Dir())
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	want := []string{TempPrefix + tmpNew.String(), "notes.txt", other.String(), path.Base(s300.Path), "subdir"}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("left %q\nwant %q", names, want)
	}

	// Cleaning again finds nothing; a missing directory is fine.
	if rep, err := w.Clean(ctx, walTime(200)); err != nil || len(rep.Removed) != 0 {
		t.Fatalf("second Clean: %+v, %v", rep, err)
	}
	gone, _ := NewWAL(NewLocal(), path.Join(testDir(t), "none"), "s")
	if _, err := gone.Clean(ctx, walTime(200)); err != nil {
		t.Fatalf("Clean of a missing directory: %v", err)
	}
}

// TestWALCleanBoundary: a segment ending exactly at the threshold goes, one
// ending a millisecond later stays.
func TestWALCleanBoundary(t *testing.T) {
	w := newTestWAL(t)
	a := writeSegment(t, w, walTime(0), walTime(200), nil)
	b := writeSegment(t, w, walTime(0), walTime(201), nil)
	rep, err := w.Clean(t.Context(), walTime(200))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Removed, []string{a.Path}) {
		t.Fatalf("Removed %q, want only %s", rep.Removed, a.Path)
	}
	if _, err := os.Stat(b.Path); err != nil {
		t.Fatalf("segment ending after the threshold: %v", err)
	}
}

func TestWALCleanRemoveFailure(t *testing.T) {
	ctx := t.Context()
	w := newTestWAL(t)
	a := writeSegment(t, w, walTime(0), walTime(100), nil)
	b := writeSegment(t, w, walTime(100), walTime(200), nil)
	fsys := &faultFS{FS: w.fsys, removeErr: func(name string) error {
		if name == a.Path {
			return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrPermission}
		}
		return nil
	}}
	w2, _ := NewWAL(fsys, w.Dir(), w.Stream())
	rep, err := w2.Clean(ctx, walTime(300))
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), a.Path) {
		t.Fatalf("Clean with a failing remove: %v, want fs.ErrPermission naming %s", err, a.Path)
	}
	if !slices.Equal(rep.Removed, []string{b.Path}) {
		t.Fatalf("Removed %q, want the other segment %s", rep.Removed, b.Path)
	}
	w3, _ := NewWAL(&faultFS{FS: w.fsys, readDirErr: fs.ErrPermission}, w.Dir(), w.Stream())
	if _, err := w3.Clean(ctx, walTime(300)); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("Clean of an unreadable directory: %v", err)
	}
}
