package am

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gostream/gostream/engine"
)

func TestStatusPage(t *testing.T) {
	l := newBatchListener()
	l.OnReceiverStarted(engine.ReceiverInfo{StreamID: 1, Name: "socket", Active: true})
	l.OnReceiverStarted(engine.ReceiverInfo{StreamID: 0, Name: "generator", Active: true})
	l.OnReceiverError(engine.ReceiverInfo{StreamID: 1, Name: "socket", Active: true, LastErr: errors.New("connection refused")})
	t0 := time.UnixMilli(1_700_000_000_000)
	for i := range retainedBatches + 5 {
		l.OnBatchCompleted(engine.BatchInfo{BatchTime: t0.Add(time.Duration(i) * time.Second)})
	}

	srv, err := serveStatus("127.0.0.1:0", func() Status {
		st := Status{Application: "application_1_0001", Name: "wc", Attempt: 2, MaxAttempts: 4,
			Executors: []Executor{{ID: "1", Container: "container_1_0001_02_000002", Node: "nm:1"}},
			EndedExecutors: []EndedExecutor{{ID: "2", Container: "container_1_0001_02_000003", Node: "nm:2", Ended: t0, ExitStatus: exitKilledExceededPMem,
				Reason: "killed by YARN for exceeding its physical memory (1.1 GB of 1 GB used): " + raiseMemory, Failure: true}}}
		l.snapshot(&st)
		return st
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.close()
	base := "http://127.0.0.1:" + strconv.Itoa(srv.port())

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
	if len(st.EndedExecutors) != 1 || st.EndedExecutors[0].ExitStatus != exitKilledExceededPMem || !st.EndedExecutors[0].Ended.Equal(t0) {
		t.Errorf("ended executors %+v", st.EndedExecutors)
	}
	if len(st.Receivers) != 2 || st.Receivers[0].Name != "generator" || st.Receivers[1].LastError != "connection refused" {
		t.Errorf("receivers %+v", st.Receivers)
	}

	html := get("/")
	for _, want := range []string{"application_1_0001, attempt 2 of 4", "container_1_0001_02_000002", "socket", "connection refused", "25 completed",
		"container_1_0001_02_000003", "killed by YARN for exceeding its physical memory (1.1 GB of 1 GB used)"} {
		if !strings.Contains(html, want) {
			t.Errorf("the status page lacks %q:\n%s", want, html)
		}
	}
}
