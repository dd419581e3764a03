package testcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"
)

// ErrNotFound reports a YARN container that no NodeManager runs or ran.
var ErrNotFound = errors.New("not found")

func (c *Cluster) daemons() []string {
	ds := []string{"nn", "rm"}
	ds = append(ds, c.DataNodes...)
	for _, nm := range c.NodeManagers {
		ds = append(ds, nm.Name)
	}
	return ds
}

func (c *Cluster) checkDaemon(d string) error {
	if !slices.Contains(c.daemons(), d) {
		return fmt.Errorf("no daemon %q in the test cluster (have %s)", d, strings.Join(c.daemons(), " "))
	}
	return nil
}

// KillDaemon SIGKILLs daemon d (nn, dn1, rm, nm1, nm2). A NodeManager's YARN
// containers die with it, as on a lost node.
func (c *Cluster) KillDaemon(ctx context.Context, d string) error {
	if err := c.checkDaemon(d); err != nil {
		return err
	}
	if err := c.runner.kill(ctx, d); err != nil {
		return fmt.Errorf("kill %s (%s runner): %w", d, c.Runner, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return poll(ctx, pollInterval, func(ctx context.Context) error {
		up, err := c.runner.running(ctx, d)
		if err == nil && up {
			err = fmt.Errorf("%s still running", d)
		}
		return err
	})
}

// StartDaemon starts daemon d again, with the same ports and directories. It
// returns once the process runs; use WaitReady to wait for it to serve.
func (c *Cluster) StartDaemon(ctx context.Context, d string) error {
	if err := c.checkDaemon(d); err != nil {
		return err
	}
	if up, err := c.runner.running(ctx, d); err == nil && up {
		return nil
	}
	if err := c.runner.start(ctx, d); err != nil {
		return fmt.Errorf("start %s (%s runner): %w", d, c.Runner, err)
	}
	return nil
}

// RestartDaemon kills daemon d, starts it again and waits until the cluster
// is ready.
func (c *Cluster) RestartDaemon(ctx context.Context, d string) error {
	if err := c.KillDaemon(ctx, d); err != nil {
		return err
	}
	if err := c.StartDaemon(ctx, d); err != nil {
		return err
	}
	return c.WaitReady(ctx)
}

// FreezeDaemon SIGSTOPs daemon d's own process (not a NodeManager's YARN
// containers), as a machine that stops answering would look to the rest of
// the cluster: a frozen NodeManager stops heartbeating, so the RM declares
// its node lost (yarn.nm.liveness-monitor.expiry-interval-ms, 10 s here)
// and cannot have its containers killed, which keep running. ThawDaemon
// wakes it.
func (c *Cluster) FreezeDaemon(ctx context.Context, d string) error {
	return c.signalDaemon(ctx, "freeze", d, syscall.SIGSTOP)
}

// ThawDaemon SIGCONTs daemon d's process frozen by FreezeDaemon.
func (c *Cluster) ThawDaemon(ctx context.Context, d string) error {
	return c.signalDaemon(ctx, "thaw", d, syscall.SIGCONT)
}

func (c *Cluster) signalDaemon(ctx context.Context, what, d string, sig syscall.Signal) error {
	if err := c.checkDaemon(d); err != nil {
		return err
	}
	if err := c.runner.signalDaemon(ctx, d, sig); err != nil {
		return fmt.Errorf("%s %s (%s runner): %w", what, d, c.Runner, err)
	}
	return nil
}

// DaemonRunning reports whether daemon d's process is alive.
func (c *Cluster) DaemonRunning(ctx context.Context, d string) (bool, error) {
	if err := c.checkDaemon(d); err != nil {
		return false, err
	}
	return c.runner.running(ctx, d)
}

var containerIDRE = regexp.MustCompile(`^container_(e\d+_)?(\d+)_(\d+)_(\d+)_(\d+)$`)

func validContainerID(id string) bool { return containerIDRE.MatchString(id) }

// AppIDOf returns the application id of a YARN container id
// (container_[eEPOCH_]TS_APP_ATTEMPT_N → application_TS_APP).
func AppIDOf(containerID string) (string, error) {
	m := containerIDRE.FindStringSubmatch(containerID)
	if m == nil {
		return "", fmt.Errorf("bad YARN container id %q", containerID)
	}
	return "application_" + m[2] + "_" + m[3], nil
}

// FindContainer returns the NodeManager that runs (or ran) a container, by
// its log directory.
func (c *Cluster) FindContainer(containerID string) (NodeManager, error) {
	app, err := AppIDOf(containerID)
	if err != nil {
		return NodeManager{}, err
	}
	for _, nm := range c.NodeManagers {
		if st, err := os.Stat(filepath.Join(nm.LogDir, app, containerID)); err == nil && st.IsDir() {
			return nm, nil
		}
	}
	return NodeManager{}, fmt.Errorf("container %s on no NodeManager: %w", containerID, ErrNotFound)
}

// KillContainer SIGKILLs every process of a YARN container (an AM or an
// executor), on whichever NodeManager runs it, and returns that NodeManager
// and the pids killed. The NodeManager reports the container as exited
// (137) to the RM as it would a crash.
func (c *Cluster) KillContainer(ctx context.Context, containerID string) (NodeManager, []int, error) {
	return c.signalContainer(ctx, "kill", containerID, syscall.SIGKILL)
}

// FreezeContainer SIGSTOPs every process of a YARN container, as a process
// that hangs (or a machine that stops answering) would look: its
// connections stay open, nothing answers. ThawContainer wakes it.
func (c *Cluster) FreezeContainer(ctx context.Context, containerID string) (NodeManager, []int, error) {
	return c.signalContainer(ctx, "freeze", containerID, syscall.SIGSTOP)
}

// ThawContainer SIGCONTs every process of a frozen YARN container; it
// fails with ErrNotFound when none is left (the container was killed while
// frozen).
func (c *Cluster) ThawContainer(ctx context.Context, containerID string) (NodeManager, []int, error) {
	return c.signalContainer(ctx, "thaw", containerID, syscall.SIGCONT)
}

// ContainerProcesses returns the pids of a YARN container's processes
// (signal 0: none is sent); ErrNotFound when none runs.
func (c *Cluster) ContainerProcesses(ctx context.Context, containerID string) (NodeManager, []int, error) {
	return c.signalContainer(ctx, "find the processes of", containerID, 0)
}

// signalContainer sends sig to every process of a YARN container, on
// whichever NodeManager runs it; what names the fault in errors.
func (c *Cluster) signalContainer(ctx context.Context, what, containerID string, sig syscall.Signal) (NodeManager, []int, error) {
	nm, err := c.FindContainer(containerID)
	if err != nil {
		return NodeManager{}, nil, err
	}
	pids, err := c.runner.signalContainer(ctx, nm, containerID, sig)
	if err != nil {
		return nm, nil, fmt.Errorf("%s container %s on %s: %w", what, containerID, nm.Name, err)
	}
	if len(pids) == 0 {
		return nm, nil, fmt.Errorf("%s container %s on %s: no process of it runs: %w", what, containerID, nm.Name, ErrNotFound)
	}
	return nm, pids, nil
}

// ContainerLog is what one container wrote to its NodeManager's log
// directory: file name (stdout, stderr, prelaunch.err, ...) → contents.
type ContainerLog struct {
	ContainerID string
	NodeManager string
	Files       map[string][]byte
}

// ContainerLogs reads the logs of an application's containers from every
// NodeManager's log directory, sorted by container id. NodeManagers keep them
// ten minutes after a container ends (yarn.nodemanager.delete.debug-delay-sec);
// later, log aggregation has them in HDFS under /tmp/logs.
func (c *Cluster) ContainerLogs(appID string) ([]ContainerLog, error) {
	if !strings.HasPrefix(appID, "application_") || strings.ContainsAny(appID, "/.") {
		return nil, fmt.Errorf("bad YARN application id %q", appID)
	}
	var logs []ContainerLog
	for _, nm := range c.NodeManagers {
		dir := filepath.Join(nm.LogDir, appID)
		ents, err := os.ReadDir(dir)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("container logs of %s on %s: %w", appID, nm.Name, err)
		}
		for _, e := range ents {
			if !e.IsDir() {
				continue
			}
			cl := ContainerLog{ContainerID: e.Name(), NodeManager: nm.Name, Files: map[string][]byte{}}
			files, err := os.ReadDir(filepath.Join(dir, e.Name()))
			if err != nil {
				return nil, fmt.Errorf("container logs of %s: %w", e.Name(), err)
			}
			for _, f := range files {
				if f.IsDir() {
					continue
				}
				b, err := os.ReadFile(filepath.Join(dir, e.Name(), f.Name()))
				if err != nil {
					return nil, fmt.Errorf("container log %s/%s: %w", e.Name(), f.Name(), err)
				}
				cl.Files[f.Name()] = b
			}
			logs = append(logs, cl)
		}
	}
	sort.Slice(logs, func(i, j int) bool { return logs[i].ContainerID < logs[j].ContainerID })
	return logs, nil
}

// DaemonLog returns the tail (up to max bytes) of a daemon's log file, for
// test failure messages.
func (c *Cluster) DaemonLog(d string, max int) (string, error) {
	if err := c.checkDaemon(d); err != nil {
		return "", err
	}
	b, err := os.ReadFile(filepath.Join(c.StateDir, "logs", d+".log"))
	if err != nil {
		return "", err
	}
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b), nil
}
