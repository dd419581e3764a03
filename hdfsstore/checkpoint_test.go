package hdfsstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
	"time"
)

func batch(n int) time.Time { return walTime(n * 1000) }

func writeCheckpoint(t *testing.T, fsys FS, dir string, n int, payload string, retain int) {
	t.Helper()
	if err := WriteCheckpoint(t.Context(), fsys, dir, batch(n), []byte(payload), retain); err != nil {
		t.Fatalf("WriteCheckpoint(%d): %v", n, err)
	}
}

func readLatest(t *testing.T, fsys FS, dir string) (int, string, []error) {
	t.Helper()
	ck, skipped, err := ReadLatestCheckpoint(t.Context(), fsys, dir)
	if err != nil {
		t.Fatalf("ReadLatestCheckpoint: %v (skipped %v)", err, skipped)
	}
	return int(ck.BatchTime.Sub(walT0) / time.Second), string(ck.Payload), skipped
}

func ckPath(dir string, n int) string { return path.Join(dir, CheckpointName(batch(n))) }

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestCheckpointRoundTrip(t *testing.T) {
	fsys, dir := NewLocal(), path.Join(testDir(t), "ck")
	for n, payload := range []string{"state one", "", strings.Repeat("big", 100_000)} {
		writeCheckpoint(t, fsys, dir, n+1, payload, 0)
		got, data, skipped := readLatest(t, fsys, dir)
		if got != n+1 || data != payload || len(skipped) != 0 {
			t.Fatalf("read batch %d (%d bytes), skipped %v; want batch %d (%d bytes)", got, len(data), skipped, n+1, len(payload))
		}
	}
	ck, _, _ := ReadLatestCheckpoint(t.Context(), fsys, dir)
	if !ck.BatchTime.Equal(batch(3)) || ck.Path != ckPath(dir, 3) {
		t.Fatalf("read %s, batch time %v; want %s, %v", ck.Path, ck.BatchTime, ckPath(dir, 3), batch(3))
	}
	if names := dirNames(t, dir); len(names) != 3 {
		t.Fatalf("directory holds %q, want three checkpoints and no temporary file", names)
	}
}

func TestCheckpointFallback(t *testing.T) {
	fsys, dir := NewLocal(), testDir(t)
	for n := 1; n <= 3; n++ {
		writeCheckpoint(t, fsys, dir, n, fmt.Sprintf("state %d", n), 0)
	}
	// Newest truncated, next one with a flipped payload bit.
	data, _ := os.ReadFile(ckPath(dir, 3))
	if err := os.WriteFile(ckPath(dir, 3), data[:len(data)-2], 0o644); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(ckPath(dir, 2))
	data[len(data)-1] ^= 4
	if err := os.WriteFile(ckPath(dir, 2), data, 0o644); err != nil {
		t.Fatal(err)
	}
	n, payload, skipped := readLatest(t, fsys, dir)
	if n != 1 || payload != "state 1" {
		t.Fatalf("fell back to batch %d %q, want 1 \"state 1\"", n, payload)
	}
	var problems []Problem
	for _, s := range skipped {
		var ce *CorruptError
		if !errors.As(s, &ce) {
			t.Fatalf("skipped %v is not a *CorruptError", s)
		}
		problems = append(problems, ce.Problem)
	}
	if !slices.Equal(problems, []Problem{ProblemTruncated, ProblemChecksum}) {
		t.Fatalf("skipped %v", skipped)
	}
	if !strings.Contains(skipped[0].Error(), ckPath(dir, 3)) {
		t.Fatalf("skipped report %q does not name the file", skipped[0])
	}
}

func TestCheckpointBackup(t *testing.T) {
	fsys, dir := NewLocal(), testDir(t)
	writeCheckpoint(t, fsys, dir, 1, "old", 0)
	writeCheckpoint(t, fsys, dir, 2, "first", 0)
	writeCheckpoint(t, fsys, dir, 2, "second", 0) // the same batch again
	if names := dirNames(t, dir); !slices.Equal(names, []string{
		CheckpointName(batch(1)), CheckpointName(batch(2)), CheckpointName(batch(2)) + ".bk"}) {
		t.Fatalf("directory holds %q", names)
	}
	if n, payload, _ := readLatest(t, fsys, dir); n != 2 || payload != "second" {
		t.Fatalf("read %d %q, want 2 \"second\"", n, payload)
	}
	// Damage the main copy: the .bk of the same batch wins over batch 1.
	if err := os.WriteFile(ckPath(dir, 2), []byte("GSCK"), 0o644); err != nil {
		t.Fatal(err)
	}
	if n, payload, skipped := readLatest(t, fsys, dir); n != 2 || payload != "first" || len(skipped) != 1 {
		t.Fatalf("read %d %q skipped %v, want 2 \"first\" from the .bk", n, payload, skipped)
	}
	if ck, _, _ := ReadLatestCheckpoint(t.Context(), fsys, dir); ck.Path != ckPath(dir, 2)+".bk" {
		t.Fatalf("read %s, want the .bk", ck.Path)
	}
	// A crash between the two renames leaves only the .bk.
	if err := os.Remove(ckPath(dir, 2)); err != nil {
		t.Fatal(err)
	}
	if n, payload, skipped := readLatest(t, fsys, dir); n != 2 || payload != "first" || len(skipped) != 0 {
		t.Fatalf("read %d %q skipped %v, want 2 \"first\"", n, payload, skipped)
	}
}

func TestCheckpointRetention(t *testing.T) {
	fsys, dir := NewLocal(), testDir(t)
	writeCheckpoint(t, fsys, dir, 1, "a", 0)
	writeCheckpoint(t, fsys, dir, 1, "b", 0) // leaves a .bk for batch 1
	// A stray temporary file of an old batch, and one of a newer batch that
	// may belong to a write in progress.
	for _, n := range []int{2, 9} {
		if err := os.WriteFile(path.Join(dir, TempPrefix+CheckpointName(batch(n))), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path.Join(dir, "notes"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for n := 3; n <= 6; n++ {
		writeCheckpoint(t, fsys, dir, n, fmt.Sprint(n), 2)
	}
	want := []string{TempPrefix + CheckpointName(batch(9)), CheckpointName(batch(5)), CheckpointName(batch(6)), "notes"}
	slices.Sort(want)
	if names := dirNames(t, dir); !slices.Equal(names, want) {
		t.Fatalf("after retention the directory holds %q\nwant %q", names, want)
	}

	// Writing an older batch than the retained ones keeps it anyway.
	writeCheckpoint(t, fsys, dir, 4, "late", 2)
	if _, err := os.Stat(ckPath(dir, 4)); err != nil {
		t.Fatalf("the checkpoint just written was pruned: %v", err)
	}

	// retain 0 keeps everything.
	dir2 := testDir(t)
	for n := 1; n <= 4; n++ {
		writeCheckpoint(t, fsys, dir2, n, "x", 0)
	}
	if names := dirNames(t, dir2); len(names) != 4 {
		t.Fatalf("retain 0 kept %q", names)
	}
}

func TestCheckpointPruneFailure(t *testing.T) {
	dir := testDir(t)
	fsys := &faultFS{FS: NewLocal(), removeErr: func(name string) error {
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrPermission}
	}}
	writeCheckpoint(t, fsys, dir, 1, "one", 1)
	err := WriteCheckpoint(t.Context(), fsys, dir, batch(2), []byte("two"), 1)
	var pe *PruneError
	if !errors.As(err, &pe) || !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("WriteCheckpoint with failing removals: %v, want *PruneError wrapping fs.ErrPermission", err)
	}
	if n, payload, _ := readLatest(t, fsys, dir); n != 2 || payload != "two" {
		t.Fatalf("read %d %q, want the checkpoint written despite the prune failure", n, payload)
	}
}

func TestCheckpointWriteFailure(t *testing.T) {
	dir := testDir(t)
	commitErr := errors.New("no datanodes")
	err := WriteCheckpoint(t.Context(), &faultFS{FS: NewLocal(), commitErr: commitErr}, dir, batch(1), []byte("x"), 3)
	if !errors.Is(err, commitErr) {
		t.Fatalf("WriteCheckpoint with a failing Commit: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := WriteCheckpoint(ctx, NewLocal(), dir, batch(1), []byte("x"), 3); !errors.Is(err, context.Canceled) {
		t.Fatalf("WriteCheckpoint with a cancelled context: %v", err)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Fatalf("failed writes left %q", names)
	}
	if err := WriteCheckpoint(t.Context(), NewLocal(), dir, time.Unix(-5, 0), nil, 0); err == nil {
		t.Fatal("a batch time before 1970 was accepted")
	}
}

// TestCheckpointNewerVersion: a newer format stops recovery, even when an
// older checkpoint would be readable.
func TestCheckpointNewerVersion(t *testing.T) {
	fsys, dir := NewLocal(), testDir(t)
	writeCheckpoint(t, fsys, dir, 1, "old", 0)
	writeCheckpoint(t, fsys, dir, 2, "new", 0)
	data, _ := os.ReadFile(ckPath(dir, 2))
	data[5] = 2
	if err := os.WriteFile(ckPath(dir, 2), data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := ReadLatestCheckpoint(t.Context(), fsys, dir)
	var ve *VersionError
	if !errors.As(err, &ve) || ve.Version != 2 || ve.Supported != 1 || ve.Path != ckPath(dir, 2) {
		t.Fatalf("ReadLatestCheckpoint over a newer version: %v, want *VersionError", err)
	}
	if errors.Is(err, ErrNoCheckpoint) || !strings.Contains(err.Error(), "newer gostream") {
		t.Fatalf("message %q", err)
	}
}

func TestCheckpointGarbageFiles(t *testing.T) {
	fsys, dir := NewLocal(), testDir(t)
	garbage := []string{"README", "checkpoint-", "checkpoint-abc", "checkpoint-007", "checkpoint--5",
		"checkpoint-12.tmp", "checkpoint-12.bk.bk", TempPrefix + "checkpoint-99", TempPrefix + "checkpoint-99.bk", "xcheckpoint-5"}
	for _, name := range garbage {
		if err := os.WriteFile(path.Join(dir, name), []byte("junk"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(path.Join(dir, "checkpoint-99999999999999"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, skipped, err := ReadLatestCheckpoint(t.Context(), fsys, dir)
	if !errors.Is(err, ErrNoCheckpoint) || len(skipped) != 0 {
		t.Fatalf("only garbage: %v, skipped %v; want ErrNoCheckpoint and nothing skipped", err, skipped)
	}
	writeCheckpoint(t, fsys, dir, 1, "good", 0)
	if n, payload, skipped := readLatest(t, fsys, dir); n != 1 || payload != "good" || len(skipped) != 0 {
		t.Fatalf("read %d %q skipped %v", n, payload, skipped)
	}
	// A file named like a newer checkpoint but holding something else is
	// skipped and reported; so is a copy of another batch's checkpoint.
	if err := os.WriteFile(ckPath(dir, 5), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(ckPath(dir, 1))
	if err := os.WriteFile(ckPath(dir, 3), data, 0o644); err != nil {
		t.Fatal(err)
	}
	n, payload, skipped := readLatest(t, fsys, dir)
	if n != 1 || payload != "good" || len(skipped) != 2 {
		t.Fatalf("read %d %q skipped %v", n, payload, skipped)
	}
	var ce *CorruptError
	if !errors.As(skipped[0], &ce) || ce.Problem != ProblemBadMagic {
		t.Fatalf("skipped[0] = %v, want bad magic", skipped[0])
	}
	if !errors.As(skipped[1], &ce) || ce.Problem != ProblemBadHeader {
		t.Fatalf("skipped[1] = %v, want bad header (batch time differs from the name)", skipped[1])
	}
}

func TestCheckpointAllDamaged(t *testing.T) {
	fsys, dir := NewLocal(), testDir(t)
	writeCheckpoint(t, fsys, dir, 1, "x", 0)
	if err := os.WriteFile(ckPath(dir, 1), []byte("GSCK\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, skipped, err := ReadLatestCheckpoint(t.Context(), fsys, dir)
	var ce *CorruptError
	if err == nil || errors.Is(err, ErrNoCheckpoint) || !errors.As(err, &ce) || len(skipped) != 1 {
		t.Fatalf("all damaged: %v (skipped %v); want a *CorruptError that is not ErrNoCheckpoint", err, skipped)
	}
}

func TestCheckpointDirectoryErrors(t *testing.T) {
	ctx := t.Context()
	missing := path.Join(testDir(t), "none")
	_, _, err := ReadLatestCheckpoint(ctx, NewLocal(), missing)
	if !errors.Is(err, ErrNoCheckpoint) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing directory: %v, want ErrNoCheckpoint", err)
	}
	_, _, err = ReadLatestCheckpoint(ctx, NewLocal(), testDir(t))
	if !errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("empty directory: %v, want ErrNoCheckpoint", err)
	}
	// Unreadable: a permission error must not look like "no checkpoint".
	dir := testDir(t)
	writeCheckpoint(t, NewLocal(), dir, 1, "x", 0)
	_, _, err = ReadLatestCheckpoint(ctx, &faultFS{FS: NewLocal(), readDirErr: fs.ErrPermission}, dir)
	if !errors.Is(err, fs.ErrPermission) || errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("unreadable directory: %v, want fs.ErrPermission and not ErrNoCheckpoint", err)
	}
	// Same for an unreadable file: no silent fallback to an older checkpoint.
	writeCheckpoint(t, NewLocal(), dir, 2, "y", 0)
	ioErr := errors.New("connection reset")
	fsys := &faultFS{FS: NewLocal(), openErr: func(name string) error {
		if name == ckPath(dir, 2) {
			return ioErr
		}
		return nil
	}}
	if _, _, err := ReadLatestCheckpoint(ctx, fsys, dir); !errors.Is(err, ioErr) {
		t.Fatalf("unreadable newest checkpoint: %v, want the I/O error", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := ReadLatestCheckpoint(cctx, NewLocal(), dir); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v", err)
	}
}

func FuzzParseCheckpoint(f *testing.F) {
	dir := f.TempDir()
	if err := WriteCheckpoint(context.Background(), NewLocal(), dir, time.UnixMilli(1234), []byte("payload"), 0); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(path.Join(dir, "checkpoint-1234"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:20])
	f.Add([]byte("GSCK"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		payload, err := parseCheckpoint("fuzz", 1234, data)
		var ce *CorruptError
		var ve *VersionError
		if err != nil && !errors.As(err, &ce) && !errors.As(err, &ve) {
			t.Fatalf("error of type %T: %v", err, err)
		}
		if err == nil && !bytes.Equal(payload, data[checkpointHeaderSize:]) {
			t.Fatalf("payload is not the file's tail")
		}
	})
}
