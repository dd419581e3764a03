package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/gostream/gostream/am"
	"github.com/gostream/gostream/client"
	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/container"
	"github.com/gostream/gostream/internal/procenv"
	"github.com/gostream/gostream/internal/yarn"
)

// driverLink is how a client-mode AM reaches its driver: the endpoint's
// address and the application secret.
type driverLink struct{ addr, secret string }

// runYARNClient runs --deploy-mode client: the driver runs here, as a child
// process as with a local master, and an application master submitted to
// YARN launches its executors, which connect back to the driver and run its
// receivers. The driver tells the application master how it ended, and
// the application ends as it did: SUCCEEDED only when it stopped by
// itself. gostream-submit exits with the driver's status, or 1 when that is
// 0 but YARN did not record a success.
func runYARNClient(ctx context.Context, y yarnCluster, c *conf.Conf, app *application, appArgs, environ []string, std stdio, sigs <-chan os.Signal, logf func(string, ...any)) (int, error) {
	// The executors need the driver's address before the driver starts:
	// listen here and hand the socket down.
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{})
	if err != nil {
		return exitStartFailed, fmt.Errorf("listen for executors: %w", err)
	}
	lnFile, err := ln.File()
	ln.Close()
	if err != nil {
		return exitStartFailed, fmt.Errorf("listen for executors: %w", err)
	}
	defer lnFile.Close()
	host := c.String(conf.DriverHost)
	if host == "" {
		if host, err = os.Hostname(); err != nil {
			return exitStartFailed, fmt.Errorf("the driver's host name (set %s): %w", conf.DriverHost, err)
		}
	}
	addr := net.JoinHostPort(host, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	secret, err := container.NewSecret()
	if err != nil {
		return exitStartFailed, err
	}

	amRes := yarn.Resource{
		MemoryMB: am.ContainerMemoryMB(c.Size(conf.YarnAMMemory), c.Size(conf.YarnAMMemoryOverhead)),
		VCores:   int32(c.Int(conf.YarnAMCores)),
	}
	// The application's stdout is the driver's: the id goes to stderr only.
	id, stg, status, err := y.submit(ctx, c, app, appArgs, environ, amRes,
		&driverLink{addr: addr, secret: secret}, io.Discard, logf)
	if err != nil {
		return status, err
	}
	logf("the driver runs here; executors connect to it at %s", addr)

	// Follow the application beside the driver: if it ends first (the AM
	// failed), the driver would wait for executors forever: stop it.
	fctx, fcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer fcancel()
	ended := make(chan *client.ApplicationReport, 1)
	go func() {
		r, _ := y.Follow(fctx, id, c.Duration(conf.YarnReportInterval), func(prev, cur *client.ApplicationReport) { reportChange(prev, cur, logf) })
		ended <- r
	}()
	childSigs := make(chan os.Signal, 4)
	driverDone, fwdDone := make(chan struct{}), make(chan struct{})
	var early *client.ApplicationReport // read after fwdDone
	go func() {
		defer close(fwdDone)
		for {
			select {
			case s := <-sigs:
				childSigs <- s
			case r := <-ended:
				select {
				case <-driverDone: // it ended because the driver did
					ended <- r
					return
				default:
				}
				early = r
				logf("%s ended before its driver (%s, %s): stopping the driver", id, r.State, r.FinalStatus)
				childSigs <- syscall.SIGTERM
			case <-driverDone:
				return
			}
		}
	}()

	env := mergeEnv(childEnv(environ, c), []string{procenv.DriverListenFD + "=3", procenv.ExecutorSecret + "=" + secret})
	ch := child{path: app.path, args: appArgs, env: env, stdin: std.in, stdout: std.out, stderr: std.err, extraFiles: []*os.File{lnFile}}
	status, err = runLocal(ch, childSigs)
	// Nothing listens any more: an AM not yet connected is refused and ends
	// the application FAILED at once, instead of waiting on a socket no
	// driver will answer until we kill the application.
	lnFile.Close()
	close(driverDone)
	<-fwdDone
	if early != nil {
		return exitStartFailed, fmt.Errorf("application %s ended %s (%s) while its driver ran: %s", id, early.State, early.FinalStatus, early.Diagnostics)
	}
	// The AM sees the driver go and unregisters; wait for that, briefly.
	select {
	case r := <-ended:
		logf("%s ended: %s, final status %s", id, r.State, r.FinalStatus)
		if status == exitOK && err == nil && r.State.Terminal() && r.FinalStatus != yarn.FinalSucceeded {
			status, err = exitStartFailed, fmt.Errorf("application %s ended %s after its driver exited 0: %s", id, r.FinalStatus, r.Diagnostics)
		}
	case <-time.After(c.Duration(conf.NetworkTimeout)):
		logf("%s did not end after its driver: killing it", id)
		if _, kerr := y.Kill(context.WithoutCancel(ctx), id, fmt.Sprintf("its client-mode driver ended (exit status %d) but the application master did not end the application", status), c.String(conf.YarnStagingDir), time.Minute); kerr != nil {
			logf("warning: %v", kerr)
		}
	}
	removeStaging(ctx, c, stg, logf)
	return status, err
}
