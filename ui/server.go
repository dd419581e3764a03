package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"syscall"
	"time"
)

var statusPage = template.Must(template.New("status").Parse(`<!DOCTYPE html>
<html><head><title>gostream {{.Name}}</title></head><body>
<h1>gostream application {{.Name}}</h1>
<p>{{.Application}}{{if .Attempt}}, attempt {{.Attempt}} of {{.MaxAttempts}}{{end}}{{if .Master}}, master {{.Master}}{{end}}, started {{.Started.Format "2006-01-02 15:04:05 MST"}}, batches of {{.BatchDuration}}. <a href="json">JSON</a>, <a href="metrics">metrics</a></p>
{{if .StopMarker}}<p>Delete the stop marker {{.StopMarker}} to stop the application gracefully: it processes everything received, giving up only when no batch completes for {{.GracefulStopTimeout}}.</p>{{end}}
{{if .Attempt}}<h2>Executors ({{len .Executors}} running, {{.ExecutorFailures}} failures)</h2>
<table border="1"><tr><th>id</th><th>container</th><th>node</th><th>started</th></tr>
{{range .Executors}}<tr><td>{{.ID}}</td><td>{{.Container}}</td><td>{{.Node}}</td><td>{{.Started.Format "15:04:05"}}</td></tr>
{{end}}</table>
{{if .EndedExecutors}}<p>Ended executors (most recent last):</p>
<table border="1"><tr><th>id</th><th>container</th><th>node</th><th>ended</th><th>exit status</th><th>reason</th><th>counted as a failure</th></tr>
{{range .EndedExecutors}}<tr><td>{{.ID}}</td><td>{{.Container}}</td><td>{{.Node}}</td><td>{{.Ended.Format "15:04:05"}}</td><td>{{.ExitStatus}}</td><td>{{.Reason}}</td><td>{{.Failure}}</td></tr>
{{end}}</table>{{end}}{{end}}
{{if or .Attempt .Registered}}<p>{{len .Registered}} executors registered with the driver. Shuffle map tasks they ran:</p>
<table border="1"><tr><th>executor</th><th>host</th><th>cores</th><th>active tasks</th><th>completed</th><th>failed</th><th>last heartbeat</th><th>metrics</th></tr>
{{range .Registered}}<tr><td>{{.ID}}</td><td>{{.Host}}</td><td>{{.Cores}}</td><td>{{.ActiveTasks}}</td><td>{{.CompletedTasks}}</td><td>{{.FailedTasks}}</td><td>{{.LastHeartbeat.Format "15:04:05"}}</td><td>{{.MetricsAddr}}</td></tr>
{{end}}</table>{{end}}
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

// Handler serves the status page at /, its JSON at /json and metrics (the
// process's Prometheus handler) at /metrics.
func Handler(status func() Status, metrics http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics)
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
	return mux
}

// MetricsHandler serves only /metrics: an executor's endpoint.
func MetricsHandler(metrics http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics)
	return mux
}

// Server is an HTTP server its owner closes.
type Server struct {
	ln   net.Listener
	srv  *http.Server
	done chan struct{}
}

// Serve serves h on ln until Close.
func Serve(ln net.Listener, h http.Handler) *Server {
	s := &Server{ln: ln, srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln) // ErrServerClosed after Close; the listener is gone either way
	}()
	return s
}

// Port is the port the server listens on.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Close stops the server, giving requests in flight 2 seconds.
func (s *Server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if s.srv.Shutdown(ctx) != nil {
		_ = s.srv.Close()
	}
	<-s.done
}

// ListenPort listens on port of every interface or, while a port is taken,
// on the next ones, up to retries more (Spark's spark.port.maxRetries);
// port 0 takes any free port.
func ListenPort(port, retries int) (net.Listener, error) {
	if port < 0 || port > 65535 {
		return nil, fmt.Errorf("port %d: not a TCP port (0 to 65535)", port)
	}
	var err error
	for p := port; p <= min(port+max(retries, 0), 65535); p++ {
		var ln net.Listener
		if ln, err = net.Listen("tcp", fmt.Sprintf(":%d", p)); err == nil {
			return ln, nil
		}
		if port == 0 || !errors.Is(err, syscall.EADDRINUSE) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("ports %d to %d are all taken (last: %w): set gostream.ui.port to a free port, or raise gostream.port.maxRetries", port, min(port+max(retries, 0), 65535), err)
}
