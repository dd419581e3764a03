package am

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/gostream/gostream/container"
	"github.com/gostream/gostream/engine"
)

// retainedBatches is how many completed batches the status page shows.
const retainedBatches = 20

// Status is what the status page shows (and /json returns).
type Status struct {
	Application string `json:"application"`
	Name        string `json:"name"`
	Attempt     int    `json:"attempt"`
	// MaxAttempts is the number of attempts YARN makes, the RM's cap
	// applied; RequestedMaxAttempts is gostream.yarn.maxAppAttempts as
	// asked for (absent: 0, the RM's number), which the RM may have cut.
	MaxAttempts          int       `json:"max_attempts"`
	RequestedMaxAttempts int       `json:"requested_max_attempts,omitempty"`
	Started              time.Time `json:"started"`
	// BatchDuration, GracefulStopTimeout and StopMarker tell operators'
	// tools how long a graceful stop may take and how to ask for one.
	BatchDuration       time.Duration            `json:"batch_duration_ns"`
	GracefulStopTimeout time.Duration            `json:"graceful_stop_timeout_ns"`
	StopMarker          string                   `json:"stop_marker,omitempty"`
	Executors           []Executor               `json:"executors"`
	Registered          []container.ExecutorInfo `json:"registered_executors"`
	ExecutorFailures    int                      `json:"executor_failures"`
	// EndedExecutors are the most recent executors whose containers
	// completed, oldest first, with the reason in words.
	EndedExecutors []EndedExecutor  `json:"ended_executors"`
	Receivers      []ReceiverStatus `json:"receivers"`
	// ReceiverPlacements tell which executor runs each receiver.
	ReceiverPlacements []container.ReceiverPlacement `json:"receiver_placements"`
	// DriverBytesIn is what the driver received from executors, in bytes:
	// block metadata and task results, not the records they hold.
	DriverBytesIn    container.BytesIn `json:"driver_bytes_in"`
	CompletedBatches int64             `json:"completed_batches"`
	Batches          []BatchStatus     `json:"recent_batches"`
}

// ReceiverStatus is a receiver's state.
type ReceiverStatus struct {
	StreamID  int    `json:"stream_id"`
	Name      string `json:"name"`
	Active    bool   `json:"active"`
	LastError string `json:"last_error,omitempty"`
}

// BatchStatus is a completed batch.
type BatchStatus struct {
	Time       time.Time     `json:"time"`
	Records    int64         `json:"records"`
	Scheduling time.Duration `json:"scheduling_delay_ns"`
	Processing time.Duration `json:"processing_ns"`
	TotalDelay time.Duration `json:"total_delay_ns"`
	Error      string        `json:"error,omitempty"`
}

// batchListener keeps the receivers and the recent batches for the status
// page.
type batchListener struct {
	engine.NopListener
	mu        sync.Mutex
	completed int64
	recent    []BatchStatus
	receivers map[int]ReceiverStatus
}

func newBatchListener() *batchListener {
	return &batchListener{receivers: map[int]ReceiverStatus{}}
}

func (l *batchListener) OnReceiverStarted(r engine.ReceiverInfo) { l.receiver(r) }
func (l *batchListener) OnReceiverStopped(r engine.ReceiverInfo) { l.receiver(r) }
func (l *batchListener) OnReceiverError(r engine.ReceiverInfo)   { l.receiver(r) }

func (l *batchListener) receiver(r engine.ReceiverInfo) {
	s := ReceiverStatus{StreamID: r.StreamID, Name: r.Name, Active: r.Active}
	if r.LastErr != nil {
		s.LastError = r.LastErr.Error()
	}
	l.mu.Lock()
	l.receivers[r.StreamID] = s
	l.mu.Unlock()
}

func (l *batchListener) OnBatchCompleted(b engine.BatchInfo) {
	s := BatchStatus{Time: b.BatchTime, Records: b.NumRecords(), Scheduling: b.SchedulingDelay(), Processing: b.ProcessingDelay(), TotalDelay: b.TotalDelay()}
	if b.Err != nil {
		s.Error = b.Err.Error()
	}
	l.mu.Lock()
	l.completed++
	l.recent = append(l.recent, s)
	if len(l.recent) > retainedBatches {
		l.recent = l.recent[len(l.recent)-retainedBatches:]
	}
	l.mu.Unlock()
}

// snapshot fills the status's receivers and batches.
func (l *batchListener) snapshot(st *Status) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st.CompletedBatches, st.Batches = l.completed, append([]BatchStatus(nil), l.recent...)
	st.Receivers = st.Receivers[:0]
	for _, r := range l.receivers {
		st.Receivers = append(st.Receivers, r)
	}
	sort.Slice(st.Receivers, func(i, j int) bool { return st.Receivers[i].StreamID < st.Receivers[j].StreamID })
}

var statusPage = template.Must(template.New("status").Parse(`<!DOCTYPE html>
<html><head><title>gostream {{.Name}}</title></head><body>
<h1>gostream application {{.Name}}</h1>
<p>{{.Application}}, attempt {{.Attempt}} of {{.MaxAttempts}}, started {{.Started.Format "2006-01-02 15:04:05 MST"}}, batches of {{.BatchDuration}}. <a href="json">JSON</a></p>
{{if .StopMarker}}<p>Delete the stop marker {{.StopMarker}} to stop the application gracefully: it processes everything received, giving up only when no batch completes for {{.GracefulStopTimeout}}.</p>{{end}}
<h2>Executors ({{len .Executors}} running, {{.ExecutorFailures}} failures)</h2>
<table border="1"><tr><th>id</th><th>container</th><th>node</th><th>started</th></tr>
{{range .Executors}}<tr><td>{{.ID}}</td><td>{{.Container}}</td><td>{{.Node}}</td><td>{{.Started.Format "15:04:05"}}</td></tr>
{{end}}</table>
{{if .EndedExecutors}}<p>Ended executors (most recent last):</p>
<table border="1"><tr><th>id</th><th>container</th><th>node</th><th>ended</th><th>exit status</th><th>reason</th><th>counted as a failure</th></tr>
{{range .EndedExecutors}}<tr><td>{{.ID}}</td><td>{{.Container}}</td><td>{{.Node}}</td><td>{{.Ended.Format "15:04:05"}}</td><td>{{.ExitStatus}}</td><td>{{.Reason}}</td><td>{{.Failure}}</td></tr>
{{end}}</table>{{end}}
<p>{{len .Registered}} executors registered with the driver. Shuffle map tasks they ran:</p>
<table border="1"><tr><th>executor</th><th>host</th><th>cores</th><th>active tasks</th><th>completed</th><th>failed</th><th>last heartbeat</th></tr>
{{range .Registered}}<tr><td>{{.ID}}</td><td>{{.Host}}</td><td>{{.Cores}}</td><td>{{.ActiveTasks}}</td><td>{{.CompletedTasks}}</td><td>{{.FailedTasks}}</td><td>{{.LastHeartbeat.Format "15:04:05"}}</td></tr>
{{end}}</table>
<h2>Receivers</h2>
<table border="1"><tr><th>stream</th><th>receiver</th><th>active</th><th>last error</th></tr>
{{range .Receivers}}<tr><td>{{.StreamID}}</td><td>{{.Name}}</td><td>{{.Active}}</td><td>{{.LastError}}</td></tr>
{{end}}</table>
<p>{{range .ReceiverPlacements}}Receiver {{.Name}} (stream {{.Stream}}) runs on executor {{.Executor}}. {{end}}</p>
<h2>Batches ({{.CompletedBatches}} completed; most recent last)</h2>
<table border="1"><tr><th>batch time</th><th>records</th><th>scheduling delay</th><th>processing</th><th>total delay</th><th>error</th></tr>
{{range .Batches}}<tr><td>{{.Time.Format "15:04:05.000"}}</td><td>{{.Records}}</td><td>{{.Scheduling}}</td><td>{{.Processing}}</td><td>{{.TotalDelay}}</td><td>{{.Error}}</td></tr>
{{end}}</table></body></html>
`))

// statusServer serves the status page.
type statusServer struct {
	ln   net.Listener
	srv  *http.Server
	done chan error
}

func serveStatus(addr string, status func() Status) (*statusServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("status page: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(status())
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = statusPage.Execute(w, status())
	})
	s := &statusServer{ln: ln, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, done: make(chan error, 1)}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

func (s *statusServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *statusServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
	if err := <-s.done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		_ = err // the server is gone either way
	}
}
