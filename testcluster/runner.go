package testcluster

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// runner is how the daemons run: docker containers or host processes. Both
// start the same daemons with the same configuration, so tests see no
// difference but the Runner name.
type runner interface {
	// kill SIGKILLs a daemon; a NodeManager's YARN containers die with it.
	kill(ctx context.Context, daemon string) error
	// start starts a stopped daemon with its old ports and directories.
	start(ctx context.Context, daemon string) error
	// running reports whether the daemon's process is alive.
	running(ctx context.Context, daemon string) (bool, error)
	// signalDaemon sends sig to a daemon's own processes, not to the YARN
	// containers a NodeManager runs.
	signalDaemon(ctx context.Context, daemon string, sig syscall.Signal) error
	// signalContainer sends sig to the processes of a YARN container
	// running on NodeManager nm and returns their pids.
	signalContainer(ctx context.Context, nm NodeManager, containerID string, sig syscall.Signal) ([]int, error)
	// java runs a Hadoop class with the cluster's jars and the given
	// configuration directory, as the HDFS superuser.
	java(ctx context.Context, confDir, class string, args ...string) (string, error)
}

// cmdTimeout bounds each docker or script command.
const cmdTimeout = 2 * time.Minute

func run(ctx context.Context, name string, args ...string) (string, error) {
	return runEnv(ctx, nil, name, args...)
}

// runEnv runs a command with extra environment entries and returns its stdout.
func runEnv(ctx context.Context, env []string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// dockerRunner: one container per daemon, named prefix+daemon.
type dockerRunner struct{ prefix string }

func (r *dockerRunner) kill(ctx context.Context, d string) error {
	_, err := run(ctx, "docker", "kill", r.prefix+d)
	return err
}

func (r *dockerRunner) start(ctx context.Context, d string) error {
	_, err := run(ctx, "docker", "start", r.prefix+d)
	return err
}

func (r *dockerRunner) running(ctx context.Context, d string) (bool, error) {
	out, err := run(ctx, "docker", "inspect", "-f", "{{.State.Running}}", r.prefix+d)
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(out) == "true", nil
}

// signalDaemon signals the daemon's JVM inside its container: the java
// process that is not a YARN container's (those have CONTAINER_ID).
func (r *dockerRunner) signalDaemon(ctx context.Context, d string, sig syscall.Signal) error {
	script := `for p in /proc/[0-9]*; do
  case $(readlink "$p/exe" 2>/dev/null) in */java) ;; *) continue ;; esac
  grep -qz "^CONTAINER_ID=" "$p/environ" 2>/dev/null && continue
  kill -` + strconv.Itoa(int(sig)) + ` "${p#/proc/}" && echo "${p#/proc/}"
done; true`
	out, err := run(ctx, "docker", "exec", r.prefix+d, "bash", "-c", script)
	if err == nil && strings.TrimSpace(out) == "" {
		err = fmt.Errorf("no daemon process found in container %s%s", r.prefix, d)
	}
	return err
}

// signalContainer runs the /proc scan inside the NodeManager's container
// (its own pid namespace, the host's kernel: the same signal numbers) and
// prints the pids it signalled.
func (r *dockerRunner) signalContainer(ctx context.Context, nm NodeManager, id string, sig syscall.Signal) ([]int, error) {
	if !validContainerID(id) {
		return nil, fmt.Errorf("bad container id %q", id)
	}
	script := `for p in /proc/[0-9]*; do
  if grep -qzx "CONTAINER_ID=` + id + `" "$p/environ" 2>/dev/null; then
    kill -` + strconv.Itoa(int(sig)) + ` "${p#/proc/}" 2>/dev/null && echo "${p#/proc/}"
  fi
done; true`
	out, err := run(ctx, "docker", "exec", r.prefix+nm.Name, "bash", "-c", script)
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range strings.Fields(out) {
		if p, err := strconv.Atoi(f); err == nil {
			pids = append(pids, p)
		}
	}
	return pids, nil
}

// processRunner: daemons are host processes, each leading its own process
// group (pid files in STATE/pids), started by the script.
type processRunner struct {
	script     string
	options    []string // the script's options before its command (--secure)
	state      string
	hadoopHome string // the jars (lib/)
}

func (r *processRunner) pid(d string) (int, error) {
	b, err := os.ReadFile(filepath.Join(r.state, "pids", d))
	if err != nil {
		return 0, fmt.Errorf("daemon %s: %w", d, err)
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

func (r *processRunner) kill(ctx context.Context, d string) error {
	pid, err := r.pid(d)
	if err != nil {
		return err
	}
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && err != syscall.ESRCH {
		return fmt.Errorf("kill daemon %s (process group %d): %w", d, pid, err)
	}
	if strings.HasPrefix(d, "nm") {
		// YARN containers run in their own sessions: find them by working directory.
		local := filepath.Join(r.state, d, "local") + "/"
		for _, p := range procsWhere(func(p int) bool {
			cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", p))
			return err == nil && strings.HasPrefix(cwd+"/", local)
		}) {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
	}
	return nil
}

func (r *processRunner) start(ctx context.Context, d string) error {
	_, err := run(ctx, r.script, append(append([]string(nil), r.options...), "start", d)...)
	return err
}

func (r *processRunner) running(ctx context.Context, d string) (bool, error) {
	pid, err := r.pid(d)
	if err != nil {
		return false, nil
	}
	return alive(pid), nil
}

// alive reports whether pid runs: it exists and is not a zombie (a killed
// daemon stays one until its new parent, init, reaps it).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) state ...: comm may hold spaces and parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return false
	}
	return s[i+2] != 'Z' && s[i+2] != 'X'
}

// signalDaemon signals the daemon's process group: YARN containers run in
// sessions of their own, so a NodeManager's are left alone.
func (r *processRunner) signalDaemon(ctx context.Context, d string, sig syscall.Signal) error {
	pid, err := r.pid(d)
	if err != nil {
		return err
	}
	if err := syscall.Kill(-pid, sig); err != nil {
		return fmt.Errorf("process group %d: %w", pid, err)
	}
	return nil
}

func (r *processRunner) signalContainer(ctx context.Context, nm NodeManager, id string, sig syscall.Signal) ([]int, error) {
	if !validContainerID(id) {
		return nil, fmt.Errorf("bad container id %q", id)
	}
	pids := procsWithEnv("CONTAINER_ID=" + id)
	var signalled []int
	for _, p := range pids {
		if syscall.Kill(p, sig) == nil {
			signalled = append(signalled, p)
		}
	}
	return signalled, nil
}

// procsWhere lists the host's pids for which keep is true.
func procsWhere(keep func(pid int) bool) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil || p == os.Getpid() {
			continue
		}
		if keep(p) {
			pids = append(pids, p)
		}
	}
	return pids
}

// procsWithEnv lists the pids whose environment holds the entry kv exactly.
func procsWithEnv(kv string) []int {
	want := []byte(kv)
	return procsWhere(func(p int) bool {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", p))
		if err != nil {
			return false
		}
		for _, e := range bytes.Split(b, []byte{0}) {
			if bytes.Equal(e, want) {
				return true
			}
		}
		return false
	})
}
