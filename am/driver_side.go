package am

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/container"
	"github.com/gostream/gostream/internal/procenv"
)

// driverSide is where the executors' driver is: this process (cluster mode,
// ep set) or the submitter's (client mode, ep nil).
type driverSide struct {
	addr, secret string
	ep           *container.Endpoint
	rpcPort      int // registered with the RM: the endpoint's port, 0 in client mode
	closeOnce    sync.Once
}

// newDriverSide finds the driver side; an in-process driver's endpoint
// calls onLost with the executors it declares lost.
func newDriverSide(getenv func(string) string, host string, c *conf.Conf, log *slog.Logger, onLost func(id string, err error)) (*driverSide, error) {
	if addr := getenv(procenv.ClientDriver); addr != "" {
		secret, err := ContainerSecret(getenv)
		if err != nil {
			return nil, fmt.Errorf("client mode: %w", err)
		}
		return &driverSide{addr: addr, secret: secret}, nil
	}
	secret, err := container.NewSecret()
	if err != nil {
		return nil, err
	}
	ep, err := container.Listen(container.EndpointOptions{Addr: ":0", Secret: secret, Timeout: c.Duration(conf.NetworkTimeout), Logger: log, OnLost: onLost})
	if err != nil {
		return nil, err
	}
	return &driverSide{addr: net.JoinHostPort(host, strconv.Itoa(ep.Port())), secret: secret, ep: ep, rpcPort: ep.Port()}, nil
}

// close disconnects the executors from an in-process driver (once).
func (d *driverSide) close() {
	d.closeOnce.Do(func() {
		if d.ep != nil {
			d.ep.Close()
		}
	})
}

// watchClientDriver holds a link to the client-mode driver until it goes
// away, which ends the application. Through the link the driver names the
// executors it declares lost, which onLost replaces, and, before closing
// it, says how it ended: nil when it stopped by itself, else a
// *ClientDriverError, as it is when the link ends without that word (the
// driver was killed, the network broke). Spark's ExecutorLauncher calls any
// end of the link a success; a failed or vanished driver must not be one.
func watchClientDriver(ctx context.Context, d *driverSide, c *conf.Conf, log *slog.Logger, onLost func(id string, err error)) error {
	connected := false
	var ended atomic.Pointer[container.DriverEnd]
	err := container.RunExecutor(ctx, container.ExecutorConfig{
		DriverAddress: d.addr, Secret: d.secret, ID: "application-master", Launcher: true,
		Heartbeat: c.Duration(conf.ExecutorHeartbeatInterval), Timeout: c.Duration(conf.NetworkTimeout), Logger: log,
		OnRegistered:   func() { connected = true },
		OnExecutorLost: func(id string) { onLost(id, errors.New("declared lost by the client-mode driver")) },
		OnDriverEnded:  func(end container.DriverEnd) { ended.Store(&end) },
	})
	if err == nil {
		return nil // ctx ended: the attempt ends without unregistering
	}
	if end := ended.Load(); end != nil {
		if end.Stopped() {
			log.Info("the client-mode driver stopped by itself: the application ends", "driver", d.addr)
			return nil
		}
		return &ClientDriverError{Addr: d.addr, End: end}
	}
	if connected && errors.Is(err, container.ErrDriverGone) {
		return &ClientDriverError{Addr: d.addr, Link: err}
	}
	if !connected && errors.Is(err, syscall.ECONNREFUSED) {
		// The driver listens before the application is submitted and until
		// it ends: nobody listening means it has ended.
		return &ClientDriverError{Addr: d.addr, Link: err, Unreached: true}
	}
	return fmt.Errorf("client-mode driver at %s: %w", d.addr, err)
}

// ClientDriverError: the client-mode driver did not stop by itself. No new
// attempt can mend that, since the driver runs in gostream-submit, not in
// the AM: the application ends FAILED (KILLED when a signal stopped the
// driver and nothing else went wrong), with this as its diagnostics.
type ClientDriverError struct {
	Addr string
	// End is what the driver said; nil when the link ended without a word.
	End *container.DriverEnd
	// Link is how the link ended, when the driver said nothing.
	Link error
	// Unreached: nothing listened at Addr when the AM connected.
	Unreached bool
}

func (e *ClientDriverError) Error() string {
	switch {
	case e.Unreached:
		return fmt.Sprintf("the client-mode driver at %s had ended before the application master could reach it (gostream-submit's output says why): %v", e.Addr, e.Link)
	case e.End == nil:
		return fmt.Sprintf("the client-mode driver at %s went away without saying how it ended (its process was killed, or the network between it and the application master broke): %v", e.Addr, e.Link)
	case e.End.Err == "":
		return fmt.Sprintf("the client-mode driver at %s was stopped by %s (gostream-submit was interrupted or killed)", e.Addr, e.End.Signal)
	}
	msg := fmt.Sprintf("the client-mode driver at %s failed", e.Addr)
	if e.End.Signal != "" {
		msg += " after " + e.End.Signal
	}
	msg += ": " + e.End.Err
	if e.End.Unrecoverable {
		msg += " (running the application again would fail the same way)"
	}
	return msg
}

// Killed tells whether a signal stopped the driver and nothing else went
// wrong.
func (e *ClientDriverError) Killed() bool {
	return e.End != nil && e.End.Err == "" && e.End.Signal != ""
}

// ClientDriverEnd is what the client-mode driver tells the application
// master when it ends with err (nil: stopped by itself), after signal sig
// when one stopped it (nil otherwise). Whether err is unrecoverable follows
// the rules the AM applies to a driver of its own (decide).
func ClientDriverEnd(err error, sig os.Signal) container.DriverEnd {
	var end container.DriverEnd
	if err != nil {
		end.Err, end.Unrecoverable = err.Error(), unrecoverable(err)
	}
	if sig != nil {
		end.Signal = signalName(sig)
	}
	return end
}

// signalName names the signals that stop a driver as operators know them.
func signalName(sig os.Signal) string {
	switch sig {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}
