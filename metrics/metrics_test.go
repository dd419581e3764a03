package metrics

import (
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/engine/task"
)

func TestDriverCountsTheEngineEvents(t *testing.T) {
	reg := NewRegistry()
	d, err := NewDriver(reg, 2*time.Second, func() int { return 3 })
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.UnixMilli(1_700_000_000_000)
	batch := func(i int, err error) engine.BatchInfo {
		bt := t0.Add(time.Duration(i) * 2 * time.Second)
		return engine.BatchInfo{BatchTime: bt, SubmissionTime: bt, ProcessingStart: bt.Add(100 * time.Millisecond),
			ProcessingEnd: bt.Add(600 * time.Millisecond), StreamRecords: map[int]int64{0: 10, 1: 4}, Err: err}
	}
	d.OnBatchCompleted(batch(0, nil))
	d.OnBatchCompleted(batch(1, nil))
	d.OnBatchCompleted(batch(2, errors.New("boom"))) // onBatchFailure=continue
	d.OnBatchFailed(batch(3, errors.New("boom")))    // stops the context
	d.OnOutputOperationCompleted(engine.OutputOpInfo{ID: 0, Name: "print", Start: t0, End: t0.Add(time.Second)})
	d.OnOutputOperationCompleted(engine.OutputOpInfo{ID: 0, Name: "print", Start: t0, End: t0.Add(time.Second), Err: errors.New("boom")})
	d.OnReceiverStarted(engine.ReceiverInfo{StreamID: 0, Active: true})
	d.OnReceiverStarted(engine.ReceiverInfo{StreamID: 1, Active: true})
	d.OnReceiverStopped(engine.ReceiverInfo{StreamID: 1})
	d.OnReceiverError(engine.ReceiverInfo{StreamID: 0, Active: true, LastErr: errors.New("refused")})
	d.OnTaskAttemptEnded(engine.TaskAttemptInfo{State: task.Succeeded})
	d.OnTaskAttemptEnded(engine.TaskAttemptInfo{State: task.Failed, Kind: task.Own})
	d.OnTaskAttemptEnded(engine.TaskAttemptInfo{State: task.Lost, Kind: task.ExecutorLost})
	d.OnWALWritten(engine.WALWriteInfo{StreamID: 0, Duration: 3 * time.Millisecond, Bytes: 100})
	d.OnWALWritten(engine.WALWriteInfo{StreamID: 0, Duration: time.Second, Err: errors.New("NameNode down")})
	d.OnCheckpointWritten(engine.CheckpointWriteInfo{BatchTime: t0, Duration: 20 * time.Millisecond, Bytes: 500})
	d.OnCheckpointWritten(engine.CheckpointWriteInfo{BatchTime: t0.Add(2 * time.Second), Duration: time.Second, Err: errors.New("NameNode down")})
	d.OnStateMaterialized(engine.StateInfo{StreamID: 3, Kind: "updateStateByKey", Keys: 7})
	d.OnStateMaterialized(engine.StateInfo{StreamID: 3, Kind: "updateStateByKey", Keys: 5})

	for _, c := range []struct {
		name string
		got  float64
		want float64
	}{
		{"batches completed", testutil.ToFloat64(d.batchesCompleted), 3},
		{"batches failed", testutil.ToFloat64(d.batchesFailed), 2},
		{"last completed batch", testutil.ToFloat64(d.lastCompleted), float64(t0.Add(4*time.Second).UnixMilli()) / 1000},
		{"records of stream 0", testutil.ToFloat64(d.records.WithLabelValues("0")), 30},
		{"rate of stream 1", testutil.ToFloat64(d.inputRate.WithLabelValues("1")), 2},
		{"print succeeded", testutil.ToFloat64(d.outputs.WithLabelValues("0", "print", "succeeded")), 1},
		{"print failed", testutil.ToFloat64(d.outputs.WithLabelValues("0", "print", "failed")), 1},
		{"receiver 0 active", testutil.ToFloat64(d.receiverActive.WithLabelValues("0")), 1},
		{"receiver 1 active", testutil.ToFloat64(d.receiverActive.WithLabelValues("1")), 0},
		{"receiver 0 errors", testutil.ToFloat64(d.receiverErrors.WithLabelValues("0")), 1},
		{"own failures", testutil.ToFloat64(d.taskAttempts.WithLabelValues("failed", "own")), 1},
		{"lost attempts", testutil.ToFloat64(d.taskAttempts.WithLabelValues("lost", "executor_lost")), 1},
		{"succeeded attempts", testutil.ToFloat64(d.taskAttempts.WithLabelValues("succeeded", "none")), 1},
		{"WAL bytes", testutil.ToFloat64(d.walBytes.WithLabelValues("0")), 100},
		{"WAL failures", testutil.ToFloat64(d.walFailures.WithLabelValues("0")), 1},
		{"checkpoint bytes", testutil.ToFloat64(d.checkpointBytes), 500},
		{"checkpoint failures", testutil.ToFloat64(d.checkpointFailures), 1},
		{"last checkpoint", testutil.ToFloat64(d.lastCheckpoint), float64(t0.UnixMilli()) / 1000},
		{"state keys", testutil.ToFloat64(d.stateKeys.WithLabelValues("3", "updateStateByKey")), 5},
	} {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}

	// The histograms count every completed batch, in seconds.
	want := `
# HELP gostream_batch_processing_seconds How long completed batches' jobs ran.
# TYPE gostream_batch_processing_seconds histogram
gostream_batch_processing_seconds_bucket{le="0.005"} 0
gostream_batch_processing_seconds_bucket{le="0.01"} 0
gostream_batch_processing_seconds_bucket{le="0.02"} 0
gostream_batch_processing_seconds_bucket{le="0.04"} 0
gostream_batch_processing_seconds_bucket{le="0.08"} 0
gostream_batch_processing_seconds_bucket{le="0.16"} 0
gostream_batch_processing_seconds_bucket{le="0.32"} 0
gostream_batch_processing_seconds_bucket{le="0.64"} 3
gostream_batch_processing_seconds_bucket{le="1.28"} 3
gostream_batch_processing_seconds_bucket{le="2.56"} 3
gostream_batch_processing_seconds_bucket{le="5.12"} 3
gostream_batch_processing_seconds_bucket{le="10.24"} 3
gostream_batch_processing_seconds_bucket{le="20.48"} 3
gostream_batch_processing_seconds_bucket{le="40.96"} 3
gostream_batch_processing_seconds_bucket{le="81.92"} 3
gostream_batch_processing_seconds_bucket{le="163.84"} 3
gostream_batch_processing_seconds_bucket{le="+Inf"} 3
gostream_batch_processing_seconds_sum 1.5
gostream_batch_processing_seconds_count 3
# HELP gostream_executors Executors registered with the driver (0 with a local master).
# TYPE gostream_executors gauge
gostream_executors 3
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "gostream_batch_processing_seconds", "gostream_executors"); err != nil {
		t.Error(err)
	}
}

// TestHandlerServesTheRegistry: /metrics has the process's own metrics and
// the Go runtime's.
func TestHandlerServesTheRegistry(t *testing.T) {
	reg := NewRegistry()
	x, err := NewExecutor(reg)
	if err != nil {
		t.Fatal(err)
	}
	x.TaskEnded(task.Succeeded, task.None)
	x.TaskEnded(task.Failed, task.Own)
	srv := httptest.NewServer(Handler(reg))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`gostream_executor_tasks_total{kind="none",state="succeeded"} 1`,
		`gostream_executor_tasks_total{kind="own",state="failed"} 1`, "go_goroutines ", "process_cpu_seconds_total "} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestTwoDriversInOneRegistry: a registration error is returned, not a
// panic.
func TestTwoDriversInOneRegistry(t *testing.T) {
	reg := NewRegistry()
	if _, err := NewDriver(reg, time.Second, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := NewDriver(reg, time.Second, nil); err == nil {
		t.Error("a second driver's metrics registered in the same registry")
	}
}
