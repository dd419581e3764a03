package am

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"

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
		secret := getenv(procenv.ExecutorSecret)
		if secret == "" {
			return nil, fmt.Errorf("client mode: %s is set but %s is not (the AM is started by gostream-submit, not by hand)", procenv.ClientDriver, procenv.ExecutorSecret)
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
// away, which ends the application: as in Spark's client mode, the
// driver's own outcome is the submitter's exit status, and the AM
// unregisters SUCCEEDED once the driver has disconnected. Through the link
// the driver names the executors it declares lost, which onLost replaces.
func watchClientDriver(ctx context.Context, d *driverSide, c *conf.Conf, log *slog.Logger, onLost func(id string, err error)) error {
	connected := false
	err := container.RunExecutor(ctx, container.ExecutorConfig{
		DriverAddress: d.addr, Secret: d.secret, ID: "application-master", Launcher: true,
		Heartbeat: c.Duration(conf.ExecutorHeartbeatInterval), Timeout: c.Duration(conf.NetworkTimeout), Logger: log,
		OnRegistered:   func() { connected = true },
		OnExecutorLost: func(id string) { onLost(id, errors.New("declared lost by the client-mode driver")) },
	})
	if connected && errors.Is(err, container.ErrDriverGone) {
		log.Info("the client-mode driver disconnected: the application ends", "driver", d.addr)
		return nil
	}
	if err == nil {
		return nil // ctx ended: the attempt ends without unregistering
	}
	return fmt.Errorf("client-mode driver at %s: %w", d.addr, err)
}
