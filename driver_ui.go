package gostream

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/container"
	"github.com/gostream/gostream/engine"
	"github.com/gostream/gostream/internal/procenv"
	"github.com/gostream/gostream/metrics"
	"github.com/gostream/gostream/ui"
)

// driverUI is the status page, JSON and metrics of a driver outside YARN
// (a local master, or gostream-submit's client mode), on gostream.ui.port
// or the next free port; on YARN the application master serves them.
type driverUI struct {
	srv  *ui.Server      // nil: gostream.ui.enabled=false
	opts []engine.Option // the listeners feeding it, for the driver's context
}

// startDriverUI serves the driver's page; ep, when set, is the endpoint its
// executors connect to (client mode).
func startDriverUI(c *conf.Conf, batch time.Duration, ep *container.Endpoint) (*driverUI, error) {
	if !c.Bool(conf.UIEnabled) {
		return &driverUI{}, nil
	}
	executors := func() int { return 0 }
	if ep != nil {
		executors = func() int { return len(ep.Executors()) }
	}
	reg := metrics.NewRegistry()
	m, err := metrics.NewDriver(reg, batch, executors)
	if err != nil {
		return nil, err
	}
	ln, err := ui.ListenPort(c.Int(conf.UIPort), c.Int(conf.PortMaxRetries))
	if err != nil {
		return nil, fmt.Errorf("status page: %w (or set gostream.ui.enabled=false to serve none)", err)
	}
	rec, started := ui.NewRecorder(), time.Now()
	status := func() ui.Status {
		st := ui.Status{Application: fmt.Sprintf("local-%d", started.UnixMilli()), Name: c.String(conf.AppName), Master: c.String(conf.Master),
			Started: started, BatchDuration: batch, GracefulStopTimeout: engine.GracefulStopTimeout(c, batch), StopMarker: c.String(conf.StopMarker)}
		if ep != nil {
			st.Registered, st.ReceiverPlacements = ep.Executors(), ep.Receivers()
		}
		rec.Snapshot(&st)
		return st
	}
	srv := ui.Serve(ln, ui.Handler(status, metrics.Handler(reg)))
	slog.Info(fmt.Sprintf("status page at http://localhost:%d/ (JSON at /json, Prometheus metrics at /metrics)", srv.Port()))
	return &driverUI{srv: srv, opts: []engine.Option{engine.WithListener(rec), engine.WithListener(m)}}, nil
}

// close stops serving.
func (u *driverUI) close() {
	if u.srv != nil {
		u.srv.Close()
	}
}

// serveExecutorMetrics serves an executor's metrics on a port of its own
// and hooks them to ec; the caller closes the server.
func serveExecutorMetrics(ec *container.ExecutorConfig) (*ui.Server, error) {
	reg := metrics.NewRegistry()
	m, err := metrics.NewExecutor(reg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		return nil, fmt.Errorf("executor %s: metrics: %w", ec.ID, err)
	}
	srv := ui.Serve(ln, ui.MetricsHandler(metrics.Handler(reg)))
	ec.MetricsPort, ec.OnTaskEnded = srv.Port(), m.TaskEnded
	return srv, nil
}

// driverConf is the local driver's configuration, read as engine.Run reads
// it: under gostream-submit (a role is set) the environment already holds
// the resolved configuration, properties file included.
func driverConf() (*conf.Conf, error) {
	return conf.Load(conf.Sources{Environ: os.Environ(), NoDefaultPropertiesFile: os.Getenv(procenv.Role) != ""})
}
