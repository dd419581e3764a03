package testcluster

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Cluster describes a running test cluster and injects faults into it.
type Cluster struct {
	// Runner is "docker" or "process" (the fallback).
	Runner string
	// StateDir holds the daemons' configuration, data and logs.
	StateDir string
	// HadoopConfDir is a client configuration directory (core-site.xml,
	// hdfs-site.xml, yarn-site.xml) for processes on this host.
	HadoopConfDir string
	// NameNode is the NameNode's RPC address (fs.defaultFS is hdfs://NameNode).
	NameNode string
	// NameNodeHTTP is the NameNode's web address (UI, JMX, WebHDFS).
	NameNodeHTTP string
	// ResourceManager is the RM's client RPC address (ApplicationClientProtocol).
	ResourceManager string
	// ResourceManagerScheduler is the RM's scheduler address (ApplicationMasterProtocol).
	ResourceManagerScheduler string
	// ResourceManagerWeb is the RM's web address (UI and REST API).
	ResourceManagerWeb string
	// NodeManagers, by name (nm1, nm2).
	NodeManagers []NodeManager
	// DataNodes are the DataNodes' names (dn1).
	DataNodes []string

	script string
	runner runner
}

// NodeManager is one NodeManager of the cluster.
type NodeManager struct {
	Name     string // nm1, nm2: the daemon name for KillDaemon etc.
	NodeID   string // host:port as the RM reports it (localhost:18041)
	Web      string // web address (UI and REST)
	LocalDir string // yarn.nodemanager.local-dirs
	LogDir   string // yarn.nodemanager.log-dirs
}

// NameNodeURI is fs.defaultFS: hdfs://NameNode.
func (c *Cluster) NameNodeURI() string { return "hdfs://" + c.NameNode }

// Env returns the environment entries a client process on this host needs
// (HADOOP_CONF_DIR, YARN_CONF_DIR).
func (c *Cluster) Env() []string {
	return []string{"HADOOP_CONF_DIR=" + c.HadoopConfDir, "YARN_CONF_DIR=" + c.HadoopConfDir}
}

// NodeManager returns the NodeManager named name (nm1, nm2).
func (c *Cluster) NodeManager(name string) (NodeManager, bool) {
	for _, nm := range c.NodeManagers {
		if nm.Name == name {
			return nm, true
		}
	}
	return NodeManager{}, false
}

// shared is Get's memo: the package's only mutable state.
var shared struct {
	once sync.Once
	c    *Cluster
	err  error
}

// upTimeout bounds `testcluster.sh up`, which may build the image first.
const upTimeout = 20 * time.Minute

// pollInterval is how often waits look again.
const pollInterval = 200 * time.Millisecond

// Get returns the test cluster, bringing it up when needed (see the package
// doc). When none can be had it fails the test under CI and skips it,
// loudly, elsewhere.
func Get(t testing.TB) *Cluster {
	t.Helper()
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), upTimeout)
		defer cancel()
		shared.c, shared.err = obtain(ctx, stateDir())
		if shared.c != nil {
			fmt.Fprintf(os.Stderr, "testcluster: using the %s runner (HADOOP_CONF_DIR=%s)\n", shared.c.Runner, shared.c.HadoopConfDir)
		}
	})
	if shared.err != nil {
		unavailable(t, shared.err)
	}
	return shared.c
}

func unavailable(t testing.TB, err error) {
	t.Helper()
	msg := fmt.Sprintf("no Hadoop test cluster: %v", err)
	if os.Getenv("CI") == "true" || os.Getenv("TESTCLUSTER_REQUIRE") == "1" {
		t.Fatalf("%s\n(integration tests need a test cluster: a docker engine, or java 17 for the process fallback; see testcluster/README.md)", msg)
	}
	fmt.Fprintf(os.Stderr, "\n*** INTEGRATION TEST SKIPPED: %s ***\n*** (set CI=true or TESTCLUSTER_REQUIRE=1 to make this a failure) ***\n\n", msg)
	t.Skip("SKIPPED (loudly): " + msg)
}

// obtain reuses the ready cluster of state or runs `testcluster.sh
// [options] up`.
func obtain(ctx context.Context, state string, options ...string) (*Cluster, error) {
	script, err := scriptPath()
	if err != nil {
		return nil, err
	}
	if c, err := load(state, script); err == nil {
		if err := c.checkReady(ctx); err == nil {
			return c, nil
		}
	}
	cmd := exec.CommandContext(ctx, script, append(options, "up")...)
	var stderr bytes.Buffer
	cmd.Stdout = io.Discard // the conf dir; read back from cluster.env instead
	cmd.Stderr = &teeWriter{w: os.Stderr, buf: &stderr}
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s up: %w; its output ends:\n%s", script, strings.Join(options, " "), err, lastLines(stderr.String(), 30))
	}
	c, err := load(state, script)
	if err != nil {
		return nil, fmt.Errorf("%s up succeeded but: %w", script, err)
	}
	return c, nil
}

// stateDir is the script's state directory (TESTCLUSTER_DIR).
func stateDir() string {
	if d := os.Getenv("TESTCLUSTER_DIR"); d != "" {
		return d
	}
	return "/tmp/gostream-testcluster"
}

// scriptPath finds scripts/testcluster.sh: TESTCLUSTER_SCRIPT, else relative
// to this source file (tests run inside the module).
func scriptPath() (string, error) {
	if s := os.Getenv("TESTCLUSTER_SCRIPT"); s != "" {
		return s, nil
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("cannot locate scripts/testcluster.sh: set TESTCLUSTER_SCRIPT")
	}
	s := filepath.Join(filepath.Dir(file), "..", "scripts", "testcluster.sh")
	if _, err := os.Stat(s); err != nil {
		return "", fmt.Errorf("cannot locate scripts/testcluster.sh (%v): set TESTCLUSTER_SCRIPT", err)
	}
	return s, nil
}

// load reads the cluster.env that `up` writes.
func load(state, script string) (*Cluster, error) {
	env, err := readEnvFile(filepath.Join(state, "cluster.env"))
	if err != nil {
		return nil, err
	}
	return fromEnv(env, script)
}

func fromEnv(env map[string]string, script string) (*Cluster, error) {
	c := &Cluster{
		Runner:                   env["RUNNER"],
		StateDir:                 env["STATE_DIR"],
		HadoopConfDir:            env["HADOOP_CONF_DIR"],
		NameNode:                 env["NAMENODE"],
		NameNodeHTTP:             env["NAMENODE_HTTP"],
		ResourceManager:          env["RESOURCEMANAGER"],
		ResourceManagerScheduler: env["RESOURCEMANAGER_SCHEDULER"],
		ResourceManagerWeb:       env["RESOURCEMANAGER_WEB"],
		script:                   script,
	}
	for _, k := range []string{"RUNNER", "STATE_DIR", "HADOOP_CONF_DIR", "NAMENODE", "NAMENODE_HTTP", "RESOURCEMANAGER", "RESOURCEMANAGER_WEB"} {
		if env[k] == "" {
			return nil, fmt.Errorf("cluster.env lacks %s", k)
		}
	}
	for _, d := range strings.Fields(env["DAEMONS"]) {
		switch {
		case strings.HasPrefix(d, "nm"):
			c.NodeManagers = append(c.NodeManagers, NodeManager{
				Name:     d,
				NodeID:   env["NODEMANAGER_"+d],
				Web:      env["NODEMANAGER_WEB_"+d],
				LocalDir: filepath.Join(c.StateDir, d, "local"),
				LogDir:   filepath.Join(c.StateDir, d, "logs"),
			})
		case strings.HasPrefix(d, "dn"):
			c.DataNodes = append(c.DataNodes, d)
		}
	}
	sort.Slice(c.NodeManagers, func(i, j int) bool { return c.NodeManagers[i].Name < c.NodeManagers[j].Name })
	switch c.Runner {
	case "docker":
		prefix := env["CONTAINER_PREFIX"]
		if prefix == "" {
			prefix = "gostream-tc-"
		}
		c.runner = &dockerRunner{prefix: prefix}
	case "process":
		r := &processRunner{script: script, state: c.StateDir, hadoopHome: env["HADOOP_HOME"]}
		if env["SECURE"] == "1" {
			r.options = []string{"--secure"}
		}
		c.runner = r
	default:
		return nil, fmt.Errorf("cluster.env: unknown RUNNER %q", c.Runner)
	}
	return c, nil
}

// readEnvFile parses KEY=VALUE lines.
func readEnvFile(name string) (map[string]string, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	env := make(map[string]string)
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s: bad line %q", name, line)
		}
		env[k] = v
	}
	return env, sc.Err()
}

type teeWriter struct {
	w   *os.File
	buf *bytes.Buffer
}

func (t *teeWriter) Write(p []byte) (int, error) {
	t.buf.Write(p)
	return t.w.Write(p)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
