package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/internal/procenv"
)

// child is the application process of a local master.
type child struct {
	path   string
	args   []string
	env    []string // the whole environment
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// extraFiles are inherited as descriptors 3, 4, …
	extraFiles []*os.File
}

// childEnv is the application's environment with a local master: ours, with
// the driver role, the resolved configuration (conf's Environ, which the
// engine loads back) and, when the driver memory is set, a GOMEMLIMIT of
// that size unless one is set already.
func childEnv(environ []string, c *conf.Conf) []string {
	set := []string{procenv.Role + "=" + procenv.RoleDriver}
	set = append(set, c.Environ()...)
	if c.IsSet(conf.DriverMemory) && !hasEnv(environ, "GOMEMLIMIT") {
		set = append(set, "GOMEMLIMIT="+strconv.FormatInt(c.Size(conf.DriverMemory), 10))
	}
	return mergeEnv(environ, set)
}

// mergeEnv returns base with the variables of set added, replacing those of
// the same name.
func mergeEnv(base, set []string) []string {
	names := map[string]bool{}
	for _, kv := range set {
		name, _, _ := strings.Cut(kv, "=")
		names[name] = true
	}
	out := make([]string, 0, len(base)+len(set))
	for _, kv := range base {
		if name, _, _ := strings.Cut(kv, "="); !names[name] {
			out = append(out, kv)
		}
	}
	return append(out, set...)
}

func hasEnv(environ []string, name string) bool {
	for _, kv := range environ {
		if n, _, _ := strings.Cut(kv, "="); n == name {
			return true
		}
	}
	return false
}

// errStart is returned when the application could not be started.
var errStart = errors.New("could not start the application")

// waitDelay bounds how long gostream-submit keeps copying the application's
// output after it exited (a grandchild may hold the pipes open).
const waitDelay = 5 * time.Second

// runLocal runs the application and waits for it, forwarding every signal
// received on sigs to it. It returns the exit status gostream-submit should
// exit with: the application's, or 128+S if signal S killed it.
func runLocal(ch child, sigs <-chan os.Signal) (int, error) {
	cmd := exec.Command(ch.path, ch.args...)
	cmd.Env = ch.env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = ch.stdin, ch.stdout, ch.stderr
	cmd.ExtraFiles = ch.extraFiles
	cmd.SysProcAttr = sysProcAttr()
	cmd.WaitDelay = waitDelay
	// On Linux the parent-death signal follows the thread that started the
	// process: keep this goroutine on that thread until the process ends.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := cmd.Start(); err != nil {
		switch {
		case errors.Is(err, syscall.ENOEXEC):
			return exitUsage, usageError("application %s is not a program this system can run (%v): give a binary built for %s/%s",
				ch.path, syscall.ENOEXEC, runtime.GOOS, runtime.GOARCH)
		case errors.Is(err, syscall.EACCES):
			return exitUsage, usageError("application %s cannot be executed (%v): check its permissions and that its file system allows executing programs",
				ch.path, syscall.EACCES)
		}
		return exitStartFailed, fmt.Errorf("%w %s: %v", errStart, ch.path, err)
	}
	done := make(chan struct{})
	forwarded := make(chan struct{})
	go func() {
		defer close(forwarded)
		for {
			select {
			case sig := <-sigs:
				// The application may have exited already: nothing to do.
				_ = cmd.Process.Signal(sig)
			case <-done:
				return
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	<-forwarded
	if err != nil && cmd.ProcessState == nil {
		return exitStartFailed, fmt.Errorf("wait for the application: %w", err)
	}
	return exitStatus(cmd.ProcessState), nil
}

// exitStatus is the shell's view of how a process ended: its exit code, or
// 128+S if signal S killed it.
func exitStatus(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	if code := ps.ExitCode(); code >= 0 {
		return code
	}
	return exitStartFailed
}
