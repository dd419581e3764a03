package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/gostream/gostream/client"
	"github.com/gostream/gostream/container"
	"github.com/gostream/gostream/internal/yarn"
	"github.com/gostream/gostream/ui"
)

func TestProgressKeepsTheStatusLineUnderTheLogLines(t *testing.T) {
	var buf bytes.Buffer
	p := &progress{w: &buf, tty: true, width: 12}
	p.set("RUNNING, attempt 1")
	p.logf("attempt %d started", 2)
	p.clear()
	want := clearLine + "RUNNING, at" + clearLine + "gostream-submit: attempt 2 started\n" + "RUNNING, at" + clearLine
	if got := buf.String(); got != want {
		t.Errorf("terminal output %q, want %q", got, want)
	}

	buf.Reset()
	p = newProgress(&buf) // not a terminal: log lines only
	p.set("RUNNING")
	p.logf("ended")
	if got := buf.String(); got != "gostream-submit: ended\n" {
		t.Errorf("output %q, want the log line alone", got)
	}
}

func TestStatusLine(t *testing.T) {
	r := &client.ApplicationReport{ID: yarn.ApplicationID{ClusterTimestamp: 1700000000000, ID: 7}, State: yarn.StateRunning}
	r.CurrentAttempt.Attempt = 2
	if got, want := statusLine(r, nil), "application_1700000000000_0007: RUNNING, attempt 2"; got != want {
		t.Errorf("without the status page: %q, want %q", got, want)
	}
	at := time.Date(2026, 12, 3, 18, 40, 1, 0, time.UTC)
	st := &ui.Status{Registered: make([]container.ExecutorInfo, 2), CompletedBatches: 41,
		Batches: []ui.BatchStatus{{Time: at.Add(-time.Second)}, {Time: at, Records: 800, Processing: 31600 * time.Microsecond, TotalDelay: 45 * time.Millisecond}}}
	want := "application_1700000000000_0007: RUNNING, attempt 2, 2 executors, 41 batches; last " + at.Local().Format(time.TimeOnly) + ": 800 records, processing 32ms, total delay 45ms"
	if got := statusLine(r, st); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	st = &ui.Status{Registered: make([]container.ExecutorInfo, 1), CompletedBatches: 1}
	if got, want := statusLine(r, st), "application_1700000000000_0007: RUNNING, attempt 2, 1 executor, 1 batch"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
