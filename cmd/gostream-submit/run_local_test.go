package main

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gostream/gostream/conf"
)

func TestChildEnv(t *testing.T) {
	c := conf.Defaults()
	if err := c.Set(conf.Master, "local[2]"); err != nil {
		t.Fatal(err)
	}
	_ = c.Set(conf.DriverMemory, "512m")
	env := childEnv([]string{"PATH=/bin", "GOSTREAM_ROLE=executor", "GOSTREAM_MASTER=yarn"}, c)
	want := []string{"PATH=/bin", "GOSTREAM_ROLE=driver", "GOSTREAM_DRIVER_MEMORY=512m", "GOSTREAM_MASTER=local[2]", "GOMEMLIMIT=536870912"}
	if !slices.Equal(env, want) {
		t.Errorf("childEnv = %q, want %q", env, want)
	}
	// The user's GOMEMLIMIT stays.
	env = childEnv([]string{"GOMEMLIMIT=1GiB"}, c)
	if !slices.Contains(env, "GOMEMLIMIT=1GiB") || slices.Contains(env, "GOMEMLIMIT=536870912") {
		t.Errorf("childEnv replaced GOMEMLIMIT: %q", env)
	}
	// No driver memory, no GOMEMLIMIT.
	if env := childEnv(nil, conf.Defaults()); !slices.Equal(env, []string{"GOSTREAM_ROLE=driver"}) {
		t.Errorf("childEnv(defaults) = %q", env)
	}
}

func shChild(script string, out *bytes.Buffer) child {
	return child{path: "/bin/sh", args: []string{"-c", script}, env: os.Environ(), stdout: out, stderr: out}
}

func TestRunLocalExitStatus(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	for script, want := range map[string]int{
		"exit 0":          0,
		"exit 7":          7,
		"kill -TERM $$":   128 + int(syscall.SIGTERM),
		"echo hi; exit 3": 3,
	} {
		var out bytes.Buffer
		got, err := runLocal(shChild(script, &out), nil)
		if err != nil || got != want {
			t.Errorf("%q: status %d, %v; want %d", script, got, err, want)
		}
	}
}

func TestRunLocalForwardsSignals(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	var out syncBuffer
	sigs := make(chan os.Signal, 1)
	ch := child{path: "/bin/sh", args: []string{"-c", `trap 'echo got TERM; exit 5' TERM; echo ready; while :; do sleep 0.05; done`},
		env: os.Environ(), stdout: &out, stderr: &out}
	type result struct {
		status int
		err    error
	}
	done := make(chan result, 1)
	go func() {
		s, err := runLocal(ch, sigs)
		done <- result{s, err}
	}()
	waitFor(t, &out, "ready", 10*time.Second)
	sigs <- syscall.SIGTERM
	select {
	case r := <-done:
		if r.err != nil || r.status != 5 || !strings.Contains(out.String(), "got TERM") {
			t.Errorf("status %d, %v, output %q: want 5 and the trap's message", r.status, r.err, out.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the child did not stop after SIGTERM was forwarded")
	}
}

func TestRunLocalNotAProgram(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "notaprogram", "just text\n")
	if err := os.Chmod(p, 0o755); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	status, err := runLocal(child{path: p, stdout: &out, stderr: &out}, nil)
	if status != exitUsage || err == nil || !strings.Contains(err.Error(), "is not a program this system can run") {
		t.Errorf("status %d, %v", status, err)
	}
}

func TestShellJoin(t *testing.T) {
	got := shellJoin([]string{"/bin/app", "-duration", "3s", "a b", "it's", "local[2]", ""})
	want := `/bin/app -duration 3s 'a b' 'it'\''s' 'local[2]' ''`
	if got != want {
		t.Errorf("shellJoin = %s, want %s", got, want)
	}
}
