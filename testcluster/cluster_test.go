package testcluster

import (
	"os"
	"path/filepath"
	"testing"
)

func TestAppIDOf(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"container_1795270668248_0002_01_000001", "application_1795270668248_0002"},
		{"container_e17_1410901177871_0001_01_000005", "application_1410901177871_0001"},
		{"container_x", ""},
		{"application_1_2", ""},
		{"container_1_2_3_4; rm -rf /", ""},
	} {
		got, err := AppIDOf(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("AppIDOf(%q) = %q, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("AppIDOf(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	env := `RUNNER=process
STATE_DIR=/s
HADOOP_CONF_DIR=/s/conf/client
DAEMONS=nn dn1 rm nm1 nm2
NAMENODE=127.0.0.1:18020
NAMENODE_HTTP=127.0.0.1:18870
RESOURCEMANAGER=127.0.0.1:18032
RESOURCEMANAGER_SCHEDULER=127.0.0.1:18030
RESOURCEMANAGER_WEB=127.0.0.1:18088
NODEMANAGER_nm1=localhost:18041
NODEMANAGER_nm2=localhost:18141
NODEMANAGER_WEB_nm1=127.0.0.1:18042
NODEMANAGER_WEB_nm2=127.0.0.1:18142
`
	if err := os.WriteFile(filepath.Join(dir, "cluster.env"), []byte(env), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := load(dir, "/x/testcluster.sh")
	if err != nil {
		t.Fatal(err)
	}
	if c.Runner != "process" || c.NameNodeURI() != "hdfs://127.0.0.1:18020" || len(c.NodeManagers) != 2 || len(c.DataNodes) != 1 {
		t.Fatalf("load: %+v", c)
	}
	nm, ok := c.NodeManager("nm2")
	if !ok || nm.NodeID != "localhost:18141" || nm.LogDir != "/s/nm2/logs" || nm.LocalDir != "/s/nm2/local" {
		t.Fatalf("nm2: %+v %v", nm, ok)
	}
	if _, ok := c.runner.(*processRunner); !ok {
		t.Fatalf("runner %T, want *processRunner", c.runner)
	}
	if err := c.checkDaemon("nm3"); err == nil {
		t.Fatal("checkDaemon(nm3) = nil, want an error")
	}

	if err := os.WriteFile(filepath.Join(dir, "cluster.env"), []byte("RUNNER=docker\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := load(dir, "x"); err == nil {
		t.Fatal("load of an incomplete cluster.env succeeded")
	}
	if _, err := load(t.TempDir(), "x"); err == nil {
		t.Fatal("load of a missing cluster.env succeeded")
	}
}
