//go:build integration

package main

import (
	"strings"
	"testing"
	"time"

	"github.com/gostream/gostream/internal/yarntest"
	"github.com/gostream/gostream/ui"
)

// TestIntegrationYarnMetrics: during a YARN run, the driver's Prometheus
// metrics answer at the tracking URL (through the RM's proxy) and an
// executor's at the address the status page's JSON gives, with the
// documented names and plausible values (issue 16).
func TestIntegrationYarnMetrics(t *testing.T) {
	y := newYarnIT(t)
	app := y.submit("--num-executors", "1", "--conf", "gostream.streaming.receiver.writeAheadLog.enable=true",
		exampleApp(t, "wordcount"), "-duration", "25s", "-batch", "500ms", "-rate", "2000", "-checkpoint", y.URL("checkpoint"))
	r := app.WaitRunning(1, 2*time.Minute)

	// Wait for batches with records and map tasks run by the executor.
	var st *ui.Status
	deadline := time.Now().Add(time.Minute)
	for st == nil || st.CompletedBatches < 3 || len(st.Registered) != 1 || st.Registered[0].CompletedTasks == 0 || st.Batches[len(st.Batches)-1].Records == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no batches with records, or no executor running tasks, after a minute: %+v", st)
		}
		time.Sleep(200 * time.Millisecond)
		st = app.Status(r.TrackingURL)
	}
	execAddr := st.Registered[0].MetricsAddr
	if execAddr == "" {
		t.Fatalf("registered_executors[0].metrics_addr is empty: %+v", st.Registered[0])
	}

	var driver yarntest.Scrape
	for range 50 {
		var err error
		if driver, err = yarntest.ScrapeMetrics(t.Context(), strings.TrimSuffix(r.TrackingURL, "/")+"/metrics"); err != nil {
			t.Fatalf("the driver's metrics through the tracking URL: %v", err)
		}
		if _, ok := driver.Batches(); ok {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n, ok := driver.Batches(); n < float64(st.CompletedBatches) || !ok {
		t.Errorf("driver: gostream_batches_completed_total %v (the status page saw %d), delay histograms counting the same: %v", n, st.CompletedBatches, ok)
	}
	expect(t, "driver", driver, map[string]func(float64) bool{
		`gostream_input_records_total{stream="0"}`:                    positive,
		`gostream_input_rate_records_per_second{stream="0"}`:          positive,
		`gostream_receiver_active{stream="0"}`:                        equals(1),
		`gostream_task_attempts_total{kind="none",state="succeeded"}`: positive,
		`gostream_wal_written_bytes_total{stream="0"}`:                positive,
		`gostream_wal_write_seconds_count{stream="0"}`:                positive,
		"gostream_checkpoint_write_seconds_count":                     positive,
		"gostream_checkpoint_written_bytes_total":                     positive,
		"gostream_last_checkpoint_timestamp_seconds":                  positive,
		"gostream_executors":                                          equals(1),
		"go_goroutines":                                               positive,
		"process_resident_memory_bytes":                               positive,
	})

	executor, err := yarntest.ScrapeMetrics(t.Context(), "http://"+execAddr+"/metrics")
	if err != nil {
		t.Fatalf("the executor's metrics at %s: %v", execAddr, err)
	}
	expect(t, "executor", executor, map[string]func(float64) bool{
		`gostream_executor_tasks_total{kind="none",state="succeeded"}`: positive,
		"go_goroutines":                 positive,
		"process_resident_memory_bytes": positive,
	})
	if _, ok := executor["gostream_batches_completed_total"]; ok {
		t.Error("the executor's endpoint serves the driver's metrics")
	}

	if status := app.wait(2 * time.Minute); status != exitOK {
		t.Errorf("gostream-submit exited %d, want 0", status)
	}
}

// expect checks that each named sample of a scrape is there and passes its
// check.
func expect(t *testing.T, who string, s yarntest.Scrape, checks map[string]func(float64) bool) {
	t.Helper()
	for name, ok := range checks {
		if v, found := s[name]; !found || !ok(v) {
			t.Errorf("%s: %s = %v (found: %v)", who, name, v, found)
		}
	}
}

func positive(v float64) bool { return v > 0 }

func equals(want float64) func(float64) bool { return func(v float64) bool { return v == want } }
