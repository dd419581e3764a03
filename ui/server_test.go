package ui

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gostream/gostream/engine"
)

func TestStatusPage(t *testing.T) {
	l := NewRecorder()
	l.OnReceiverStarted(engine.ReceiverInfo{StreamID: 1, Name: "socket", Active: true})
	l.OnReceiverStarted(engine.ReceiverInfo{StreamID: 0, Name: "generator", Active: true})
	l.OnReceiverError(engine.ReceiverInfo{StreamID: 1, Name: "socket", Active: true, LastErr: errors.New("connection refused")})
	t0 := time.UnixMilli(1_700_000_000_000)
	for i := range retainedBatches + 5 {
		l.OnBatchCompleted(engine.BatchInfo{BatchTime: t0.Add(time.Duration(i) * time.Second)})
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "gostream_executors 0\n") })
	srv := Serve(ln, Handler(func() Status {
		st := Status{Application: "application_1_0001", Name: "wc", Attempt: 2, MaxAttempts: 4,
			Executors: []Executor{{ID: "1", Container: "container_1_0001_02_000002", Node: "nm:1"}},
			EndedExecutors: []EndedExecutor{{ID: "2", Container: "container_1_0001_02_000003", Node: "nm:2", Ended: t0, ExitStatus: -104,
				Reason: "killed by YARN for exceeding its physical memory (1.1 GB of 1 GB used)", Failure: true}}}
		l.Snapshot(&st)
		return st
	}, metrics))
	defer srv.Close()
	base := "http://127.0.0.1:" + strconv.Itoa(srv.Port())

	get := func(path string) string {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
		}
		return string(b)
	}

	var st Status
	if err := json.Unmarshal([]byte(get("/json")), &st); err != nil {
		t.Fatal(err)
	}
	if st.Attempt != 2 || st.CompletedBatches != retainedBatches+5 || len(st.Batches) != retainedBatches || len(st.Executors) != 1 {
		t.Errorf("status: attempt %d, %d completed, %d recent, %d executors", st.Attempt, st.CompletedBatches, len(st.Batches), len(st.Executors))
	}
	if last := st.Batches[len(st.Batches)-1].Time; !last.Equal(t0.Add((retainedBatches + 4) * time.Second)) {
		t.Errorf("most recent batch %v", last)
	}
	if len(st.EndedExecutors) != 1 || st.EndedExecutors[0].ExitStatus != -104 || !st.EndedExecutors[0].Ended.Equal(t0) {
		t.Errorf("ended executors %+v", st.EndedExecutors)
	}
	if len(st.Receivers) != 2 || st.Receivers[0].Name != "generator" || st.Receivers[1].LastError != "connection refused" {
		t.Errorf("receivers %+v", st.Receivers)
	}

	html := get("/")
	for _, want := range []string{"application_1_0001, attempt 2 of 4", "container_1_0001_02_000002", "socket", "connection refused", "25 completed",
		"container_1_0001_02_000003", "killed by YARN for exceeding its physical memory (1.1 GB of 1 GB used)", `href="metrics"`} {
		if !strings.Contains(html, want) {
			t.Errorf("the status page lacks %q:\n%s", want, html)
		}
	}
	if m := get("/metrics"); m != "gostream_executors 0\n" {
		t.Errorf("/metrics: %q", m)
	}
}

// TestStatusPageLocal: outside YARN the page names the master and leaves
// out the YARN sections.
func TestStatusPageLocal(t *testing.T) {
	var b strings.Builder
	if err := statusPage.Execute(&b, Status{Application: "local-1", Name: "wc", Master: "local[2]"}); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	if !strings.Contains(html, "local-1, master local[2]") || strings.Contains(html, "attempt") || strings.Contains(html, "Executors (") {
		t.Errorf("local status page:\n%s", html)
	}
}

// TestListenPortTakesTheNextFreePort: a taken port is skipped, as Spark's
// UI does; all of them taken is an error naming the keys.
func TestListenPortTakesTheNextFreePort(t *testing.T) {
	taken, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := taken.Addr().(*net.TCPAddr).Port
	ln, err := ListenPort(port, 16)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if got := ln.Addr().(*net.TCPAddr).Port; got <= port || got > port+16 {
		t.Errorf("listening on %d, want one of the 16 ports after %d", got, port)
	}
	_, err = ListenPort(port, 0)
	if err == nil || !strings.Contains(err.Error(), "gostream.ui.port") || !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("a taken port without retries: %v", err)
	}
	if _, err := ListenPort(70000, 0); err == nil {
		t.Error("port 70000 accepted")
	}
}
