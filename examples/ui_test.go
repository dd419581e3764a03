package examples_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gostream/gostream/internal/yarntest"
	"github.com/gostream/gostream/ui"
)

// uiURLRE finds the status page's address in the driver's log.
var uiURLRE = regexp.MustCompile(`status page at http://localhost:(\d+)/`)

// TestLocalDriverServesTheUI: a driver with a local master serves the
// status page, its JSON and Prometheus metrics, on gostream.ui.port or, when
// that one is taken, on the next free port, and prints where (issue 16).
func TestLocalDriverServesTheUI(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := taken.Addr().(*net.TCPAddr).Port
	r := startEnv(t, []string{"GOSTREAM_MASTER=local[2]", "GOSTREAM_UI_PORT=" + strconv.Itoa(port)},
		"wordcount", "-duration", "30s", "-batch", "200ms", "-rate", "5000", "-checkpoint", t.TempDir())
	r.waitFor(t, "status page at http://localhost:")
	m := uiURLRE.FindStringSubmatch(r.stderr.String())
	if m == nil {
		t.Fatalf("no status page address on stderr:\n%s", r.stderr.String())
	}
	if got, _ := strconv.Atoi(m[1]); got <= port || got > port+16 {
		t.Fatalf("status page on port %d: want the first free one after the taken %d", got, port)
	}
	base := "http://localhost:" + m[1]

	// Wait for a few batches with records.
	var st ui.Status
	deadline := time.Now().Add(15 * time.Second)
	for st.CompletedBatches < 3 || len(st.Batches) == 0 || st.Batches[len(st.Batches)-1].Records == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no completed batches with records on %s/json after 15s: %+v\nstderr:\n%s", base, st, r.stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
		st = ui.Status{}
		if err := json.Unmarshal([]byte(get(t, base+"/json")), &st); err != nil {
			t.Fatal(err)
		}
	}
	if st.Master != "local[2]" || st.Name == "" || st.BatchDuration != 200*time.Millisecond || len(st.Receivers) != 1 || !st.Receivers[0].Active {
		t.Errorf("status: master %q, name %q, batch %s, receivers %+v", st.Master, st.Name, st.BatchDuration, st.Receivers)
	}
	if html := get(t, base+"/"); !strings.Contains(html, "master local[2]") || !strings.Contains(html, "completed; most recent last") {
		t.Errorf("status page:\n%s", html)
	}

	// The histograms count the completed batches.
	var metrics yarntest.Scrape
	for range 50 {
		if metrics, err = yarntest.ScrapeMetrics(t.Context(), base+"/metrics"); err != nil {
			t.Fatal(err)
		}
		if _, ok := metrics.Batches(); ok {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n, ok := metrics.Batches(); n < 3 || !ok {
		t.Errorf("gostream_batches_completed_total %v, delay histograms counting the same: %v; want at least the 3 batches seen, counted by each", n, ok)
	}
	for name, ok := range map[string]func(float64) bool{
		`gostream_input_records_total{stream="0"}`:                    positive,
		`gostream_task_attempts_total{kind="none",state="succeeded"}`: positive,
		`gostream_receiver_active{stream="0"}`:                        func(v float64) bool { return v == 1 },
		"gostream_checkpoint_write_seconds_count":                     positive,
		"gostream_executors":                                          func(v float64) bool { return v == 0 },
		"go_goroutines":                                               positive,
		"process_resident_memory_bytes":                               positive,
	} {
		if v, found := metrics[name]; !found || !ok(v) {
			t.Errorf("%s: %v (found: %v)", name, v, found)
		}
	}
}

// TestLocalDriverWithoutUI: gostream.ui.enabled=false (spark.ui.enabled)
// serves nothing.
func TestLocalDriverWithoutUI(t *testing.T) {
	t.Parallel()
	r := startEnv(t, []string{"GOSTREAM_UI_ENABLED=false"}, "wordcount", "-duration", "1s", "-batch", "200ms", "-checkpoint", t.TempDir())
	r.wait(t)
	if strings.Contains(r.stderr.String(), "status page at") {
		t.Errorf("a status page with gostream.ui.enabled=false:\n%s", r.stderr.String())
	}
}

// get fetches url's body, failing the test on anything but 200.
func get(t *testing.T, url string) string {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", url, resp.Status, err)
	}
	return string(b)
}

func positive(v float64) bool { return v > 0 }
