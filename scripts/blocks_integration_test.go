//go:build integration

package scripts_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gostream/gostream/internal/yarn"
	"github.com/gostream/gostream/ui"
)

// blocksArgs make the reliable count's source fast enough
// that its records outweigh the metadata of its blocks many times over: 5
// blocks of 8,000 records a second, each record at least 3 bytes encoded.
var blocksArgs = []string{"-rate", "40000", "-chunk", "8000"}

// driverIn is what the driver received from executors, as its status page
// says.
func driverIn(st *ui.Status) int64 {
	return st.DriverBytesIn.Executors + st.DriverBytesIn.Shuffle
}

// TestIntegrationBlocksStayOnExecutors: with the receiver on one of two
// executors and the write-ahead log on, the driver receives block metadata
// and task results, not records (its bytes from executors per record stay
// far below a record's size), and killing the executor holding the blocks
// loses nothing: the state counts every acknowledged record exactly once,
// as a local[2] run of the same numbered input does.
func TestIntegrationBlocksStayOnExecutors(t *testing.T) {
	o := newOpsIT(t)
	a := o.newApp("blocks")
	a.start("reliablecount", []string{"--num-executors", "2", "--conf", "spark.yarn.maxAppAttempts=1"}, blocksArgs...)
	r := a.WaitRunning(1, 2*time.Minute)
	a.waitAcked(100000)
	before := a.Status(r.TrackingURL)
	time.Sleep(10 * time.Second)
	after := a.Status(r.TrackingURL)
	b0, b1 := driverIn(before), driverIn(after)
	// The status page keeps the last 20 batches: count the records of
	// those completed in between.
	var records int64
	for _, b := range after.Batches {
		if len(before.Batches) == 0 || b.Time.After(before.Batches[len(before.Batches)-1].Time) {
			records += b.Records
		}
	}
	t.Logf("driver received %d bytes from executors (%d on their connections, %d read from their shuffle servers) while %d records were processed",
		b1-b0, after.DriverBytesIn.Executors-before.DriverBytesIn.Executors, after.DriverBytesIn.Shuffle-before.DriverBytesIn.Shuffle, records)
	if records < 100000 {
		t.Fatalf("only %d records processed in 10 s: the source is slower than this test needs", records)
	}
	if b1 == 0 {
		t.Fatal("the status page shows no driver_bytes_in counter")
	}
	// Every record forwarded to the driver would be at least 3 bytes; block
	// metadata, task replies and the 100 words' map outputs are well under
	// a byte per record.
	if per := float64(b1-b0) / float64(records); per > 0.5 {
		t.Errorf("the driver received %.2f bytes per record from executors: records still cross the driver", per)
	}

	a.killReceiverExecutor()
	a.waitAcked(0)
	a.stop()
	n := a.checkExactlyOnce(false)
	t.Logf("%d records acknowledged and counted exactly once through the loss of the executor holding the blocks", n)
}

// TestIntegrationLostBlocksWithoutWAL: with the write-ahead log off, killing
// the executor holding received blocks loses them; the application says
// so (engine.LostBlocksError: the stream, blocks and records) and ends
// FAILED rather than going on with short batches.
func TestIntegrationLostBlocksWithoutWAL(t *testing.T) {
	o := newOpsIT(t)
	a := o.newApp("lostblocks")
	a.start("reliablecount", []string{"--num-executors", "2", "--conf", "spark.yarn.maxAppAttempts=1",
		"--conf", "gostream.streaming.receiver.writeAheadLog.enable=false"}, blocksArgs...)
	r := a.WaitRunning(1, 2*time.Minute)
	a.waitAcked(50000)
	st := a.Status(r.TrackingURL)
	if len(st.ReceiverPlacements) == 0 {
		t.Fatal("the receiver runs on no executor")
	}
	holder := st.ReceiverPlacements[0].Executor
	for _, e := range st.Executors {
		if e.ID == holder {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			_, _, err := a.Env.Cluster.KillContainer(ctx, e.Container)
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("killed executor %s (%s), which ran the receiver and held its blocks", holder, e.Container)
		}
	}
	r = a.WaitEnd(2 * time.Minute)
	t.Logf("ended %s %s: %s", r.State, r.FinalStatus, r.Diagnostics)
	if r.FinalStatus != yarn.FinalFailed {
		t.Errorf("final status %s, want FAILED", r.FinalStatus)
	}
	for _, want := range []string{"lost", "blocks", "of stream 0", "writeAheadLog.enable"} {
		if !strings.Contains(r.Diagnostics, want) {
			t.Errorf("diagnostics lack %q: %s", want, r.Diagnostics)
		}
	}
}
