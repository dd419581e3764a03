package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// cleanEnviron is the test's environment without GOSTREAM_ variables, so
// that the caller's settings do not leak into the tests.
func cleanEnviron() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOSTREAM_") && !strings.HasPrefix(kv, "HADOOP_CONF_DIR=") && !strings.HasPrefix(kv, "YARN_CONF_DIR=") {
			env = append(env, kv)
		}
	}
	return env
}

// noSignals is a signal source that never delivers.
func noSignals() (<-chan os.Signal, func()) { return make(chan os.Signal), func() {} }

// runSubmit runs submit in-process and returns its status and output.
func runSubmit(t *testing.T, args ...string) (status int, stdout, stderr string) {
	t.Helper()
	var out, errOut syncBuffer
	status = submit(args, cleanEnviron(), stdio{strings.NewReader(""), &out, &errOut}, noSignals)
	return status, out.String(), errOut.String()
}

// buildOnce builds a Go main package once per test binary.
type buildOnce struct {
	once sync.Once
	path string
	err  error
}

var tinyApp, submitCmd buildOnce

func (b *buildOnce) get(t *testing.T, pkg, name string) string {
	t.Helper()
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "gostream-submit-test-")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, name)
		out, err := exec.Command("go", "build", "-o", b.path, pkg).CombinedOutput()
		if err != nil {
			b.err = err
			b.path = string(out)
		}
	})
	if b.err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, b.err, b.path)
	}
	return b.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, b := range []*buildOnce{&tinyApp, &submitCmd} {
		if b.err == nil && b.path != "" {
			os.RemoveAll(filepath.Dir(b.path))
		}
	}
	os.Exit(code)
}

func TestSubmitRunsLocalDriver(t *testing.T) {
	t.Parallel()
	app := tinyApp.get(t, "./testdata/tinyapp", "tinyapp")
	status, stdout, stderr := runSubmit(t, "--master", "local[2]", "--conf", "gostream.streaming.blockInterval=100ms",
		"--conf", "spark.app.name=ignored", "--name", "e2e", app, "-duration", "1500ms", "--", "--master", "x y")
	if status != 0 {
		t.Fatalf("status %d\nstdout:\n%s\nstderr:\n%s", status, stdout, stderr)
	}
	for _, want := range []string{
		`tinyapp: role=driver args=["--master" "x y"]`,
		"tinyapp: master=local[2] name=e2e blockInterval=100ms",
		"words",
		"tinyapp: stopped",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, `msg="batch completed"`) {
		t.Errorf("stderr lacks the engine's batch statistics:\n%s", stderr)
	}
}

func TestSubmitPassesExitStatus(t *testing.T) {
	t.Parallel()
	app := tinyApp.get(t, "./testdata/tinyapp", "tinyapp")
	status, stdout, stderr := runSubmit(t, "--master", "local", app, "-duration", "300ms", "-exit", "7")
	if status != 7 {
		t.Errorf("status %d, want 7\nstdout:\n%s\nstderr:\n%s", status, stdout, stderr)
	}
	if !strings.Contains(stdout, "name=tinyapp") {
		t.Errorf("the application name is not the binary's name:\n%s", stdout)
	}
}

func TestSubmitBuildsPackageDirectory(t *testing.T) {
	t.Parallel()
	status, stdout, stderr := runSubmit(t, "-v", "--master", "local[2]", "--driver-memory", "256m",
		"./testdata/tinyapp", "-duration", "500ms")
	if status != 0 {
		t.Fatalf("status %d\nstdout:\n%s\nstderr:\n%s", status, stdout, stderr)
	}
	for _, want := range []string{
		"gostream-submit: building Go package",
		"gostream-submit: properties file: none",
		"  GOSTREAM_MASTER=local[2]",
		"  GOSTREAM_APP_NAME=tinyapp",
		"  GOSTREAM_DRIVER_MEMORY=256m",
		"gostream-submit: running: GOSTREAM_ROLE=driver ",
		"/tinyapp -duration 500ms",
		"gostream-submit: application exited with status 0",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("verbose output lacks %q:\n%s", want, stderr)
		}
	}
	if !strings.Contains(stdout, "tinyapp: stopped") {
		t.Errorf("stdout:\n%s", stdout)
	}
}

func TestSubmitStatuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	plain := writeFile(t, dir, "plain", "data")
	app := tinyApp.get(t, "./testdata/tinyapp", "tinyapp")
	tests := []struct {
		name   string
		args   []string
		status int
		stdout string
		stderr string
	}{
		{"no arguments", nil, exitUsage, "", "Usage: gostream-submit"},
		{"help", []string{"--help", "./whatever"}, exitOK, "Exit status:", ""},
		{"help-conf", []string{"--help-conf"}, exitOK, "gostream.streaming.blockInterval", ""},
		{"version", []string{"--version"}, exitOK, "gostream-submit ", ""},
		{"unknown flag", []string{"--colour", "app"}, exitUsage, "", "unknown flag: --colour"},
		{"spark-only flag", []string{"--class", "Main", app}, exitUsage, "", "--class is a spark-submit flag"},
		{"no application", []string{"--master", "local"}, exitUsage, "", "no application given"},
		{"missing binary", []string{filepath.Join(dir, "nope")}, exitUsage, "", "no such file or directory"},
		{"not executable", []string{plain}, exitUsage, "", "is not executable"},
		{"not a main package", []string{"./testdata/notmain"}, exitUsage, "", "not a main package"},
		{"bad value", []string{"--executor-cores", "0", app}, exitUsage, "", "--executor-cores: invalid value \"0\""},
		{"bad --conf", []string{"--conf", "gostream.nope=1", app}, exitUsage, "", "unknown configuration key"},
		{"cluster without yarn", []string{"--deploy-mode", "cluster", app}, exitUsage, "", "needs gostream.master=yarn"},
		{"missing --files", []string{"--files", filepath.Join(dir, "nope.txt"), app}, exitUsage, "", "nope.txt"},
		{"yarn without HADOOP_CONF_DIR", []string{"--master", "yarn", "--deploy-mode", "cluster", app}, exitUsage, "",
			"set HADOOP_CONF_DIR"},
		{"yarn client mode without HADOOP_CONF_DIR", []string{"--master", "yarn", "--deploy-mode", "client", app}, exitUsage, "",
			"set HADOOP_CONF_DIR"},
		{"status without HADOOP_CONF_DIR", []string{"--status", "application_1_0001"}, exitUsage, "", "set HADOOP_CONF_DIR"},
		{"status of a bad id", []string{"--status", "app_1"}, exitUsage, "", "application_1700000000000_0001"},
		{"status and an application", []string{"--status", "application_1_0001", app}, exitUsage, "", "--status and --kill take an application id and nothing else"},
		{"kill and status", []string{"--kill", "application_1_0001", "--status", "application_1_0001"}, exitUsage, "", "nothing else"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, stdout, stderr := runSubmit(t, tt.args...)
			if status != tt.status || !strings.Contains(stdout, tt.stdout) || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("status %d (want %d)\nstdout (want %q):\n%s\nstderr (want %q):\n%s",
					status, tt.status, tt.stdout, stdout, tt.stderr, stderr)
			}
		})
	}
}

// TestSubmitHadoopConfDirWithoutSiteFiles: HADOOP_CONF_DIR set to a directory
// without site files is named as the problem, before any connection.
func TestSubmitHadoopConfDirWithoutSiteFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var out, errOut syncBuffer
	status := submit([]string{"--status", "application_1_0001"}, append(cleanEnviron(), "HADOOP_CONF_DIR="+dir),
		stdio{strings.NewReader(""), &out, &errOut}, noSignals)
	want := "talking to YARN needs the cluster's configuration: no Hadoop site files (HADOOP_CONF_DIR=" + dir +
		" holds none of core-site.xml, hdfs-site.xml, yarn-site.xml: point HADOOP_CONF_DIR at the cluster's client configuration, e.g. /etc/hadoop/conf)"
	if status != exitUsage || !strings.Contains(errOut.String(), want) {
		t.Errorf("status %d (want %d), stderr:\n%s\nwant it to say %q", status, exitUsage, errOut.String(), want)
	}
}

// TestSignalForwarding runs the gostream-submit binary and interrupts it as
// a terminal would: the application must stop, and gostream-submit exit
// with its status.
func TestSignalForwarding(t *testing.T) {
	t.Parallel()
	app := tinyApp.get(t, "./testdata/tinyapp", "tinyapp")
	bin := submitCmd.get(t, ".", "gostream-submit")
	var out syncBuffer
	cmd := exec.Command(bin, "--master", "local[2]", app)
	cmd.Env = cleanEnviron()
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	waitFor(t, &out, "words", 20*time.Second)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("gostream-submit: %v\n%s", err, out.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("gostream-submit did not stop after SIGINT:\n%s", out.String())
	}
	for _, want := range []string{"signal received: stopping", "tinyapp: stopped"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestSubmitWarnings: settings that have no effect are named on stderr before
// anything runs (the application here does not exist, so nothing does).
func TestSubmitWarnings(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "app")
	environ := append(cleanEnviron(),
		"GOSTREAM_EXECUTOR_INSTANCE=3", // misspelled
		"GOSTREAM_ROLE=driver",         // procenv's contract: not a key, not a mistake
		"GOSTREAM_BIN=/opt/gostream/bin",
		"GOSTREAM_YARN_QUEUE=from-env", // a YARN key, but shared configuration: not named
	)
	tests := []struct {
		name     string
		args     []string
		warnings []string // the lines of stderr that are warnings, in order
	}{
		{"local master",
			[]string{"--master", "local[2]", "--num-executors", "3", "--driver-memory", "1g", "--executor-memory", "2g",
				"--conf", "spark.yarn.queue=q", "--conf", "gostream.streaming.blockInterval=1s", "--conf", "spark.yarn.queue=r", missing},
			[]string{
				`gostream-submit: warning: environment variable GOSTREAM_EXECUTOR_INSTANCE: unknown configuration variable (did you mean "GOSTREAM_EXECUTOR_INSTANCES"?): it is ignored`,
				"gostream-submit: warning: --num-executors, --executor-memory, --conf spark.yarn.queue have no effect with --master local[2]: they apply to --master yarn",
			}},
		{"one flag, default master",
			[]string{"--queue", "q", missing},
			[]string{
				`gostream-submit: warning: environment variable GOSTREAM_EXECUTOR_INSTANCE: unknown configuration variable (did you mean "GOSTREAM_EXECUTOR_INSTANCES"?): it is ignored`,
				"gostream-submit: warning: --queue has no effect with --master local[*]: it applies to --master yarn",
			}},
		{"yarn master",
			[]string{"--master", "yarn", "--num-executors", "3", missing},
			[]string{
				`gostream-submit: warning: environment variable GOSTREAM_EXECUTOR_INSTANCE: unknown configuration variable (did you mean "GOSTREAM_EXECUTOR_INSTANCES"?): it is ignored`,
			}},
	}
	for _, tt := range tests {
		var out, errOut syncBuffer
		status := submit(tt.args, environ, stdio{strings.NewReader(""), &out, &errOut}, noSignals)
		var warnings []string
		for line := range strings.Lines(errOut.String()) {
			if strings.Contains(line, "warning") {
				warnings = append(warnings, strings.TrimSuffix(line, "\n"))
			}
		}
		if status != exitUsage || !strings.Contains(errOut.String(), "no such file") || !slices.Equal(warnings, tt.warnings) {
			t.Errorf("%s: status %d, warnings\n%s\nwant\n%s\nstderr:\n%s", tt.name, status,
				strings.Join(warnings, "\n"), strings.Join(tt.warnings, "\n"), errOut.String())
		}
	}
}
