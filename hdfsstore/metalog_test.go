package hdfsstore

import (
	"context"
	"fmt"
	"path"
	"strings"
	"testing"
)

func replayLog(t *testing.T, l *Log) []string {
	t.Helper()
	var got []string
	problems, err := l.Replay(t.Context(), func(r Record) error {
		got = append(got, string(r.Data))
		return nil
	})
	if err != nil || len(problems) != 0 {
		t.Fatalf("Replay: %v, problems %v", err, problems)
	}
	return got
}

func TestLogReplaysInAppendOrder(t *testing.T) {
	ctx := t.Context()
	dir := path.Join(testDir(t), "meta")
	l, err := OpenLog(ctx, NewLocal(), dir, "received-blocks")
	if err != nil {
		t.Fatal(err)
	}
	// The clock goes backwards and repeats; the order must not.
	times := []int{100, 100, 50, 300, 300, 200}
	var want []string
	for i, at := range times {
		rec := fmt.Sprintf("event-%d", i)
		if _, err := l.Append(ctx, walTime(at), []byte(rec), []byte(rec+"b")); err != nil {
			t.Fatalf("Append: %v", err)
		}
		want = append(want, rec, rec+"b")
	}
	if _, err := l.Append(ctx, walTime(250)); err != nil { // an empty append is fine
		t.Fatal(err)
	}
	if got := replayLog(t, l); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("Replay order %q\nwant         %q", got, want)
	}

	// A restarted driver appends after what is there, even with an early clock.
	l2, err := OpenLog(ctx, NewLocal(), dir, "received-blocks")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l2.Append(ctx, walTime(10), []byte("after restart")); err != nil {
		t.Fatal(err)
	}
	want = append(want, "after restart")
	if got := replayLog(t, l2); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("Replay after restart %q\nwant %q", got, want)
	}

	// Cleaning up to 100ms drops the first three appends (the third was
	// stamped 100ms, not 50ms).
	if _, err := l2.Clean(ctx, walTime(100)); err != nil {
		t.Fatal(err)
	}
	if got := replayLog(t, l2); strings.Join(got, ",") != strings.Join(want[6:], ",") {
		t.Fatalf("Replay after Clean %q\nwant %q", got, want[6:])
	}
}

func TestLogCancelled(t *testing.T) {
	l, err := OpenLog(t.Context(), NewLocal(), testDir(t), "m")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := l.Append(ctx, walTime(0), []byte("x")); err == nil {
		t.Fatal("Append with a cancelled context succeeded")
	}
	if got := replayLog(t, l); len(got) != 0 {
		t.Fatalf("a failed Append left records %q", got)
	}
}
