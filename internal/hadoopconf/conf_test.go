package hadoopconf

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func writeSite(t *testing.T, dir, name string, props map[string]string) {
	t.Helper()
	s := "<?xml version=\"1.0\"?>\n<configuration>\n"
	for k, v := range props {
		s += "  <property><name>" + k + "</name><value>" + v + "</value></property>\n"
	}
	s += "</configuration>\n"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadAndDefaults(t *testing.T) {
	hadoop, yarn := t.TempDir(), t.TempDir()
	writeSite(t, hadoop, "core-site.xml", map[string]string{"fs.defaultFS": "hdfs://nn:9000"})
	writeSite(t, yarn, "yarn-site.xml", map[string]string{
		KeyRMHostname:     "rm.example",
		KeyRMAddress:      "${yarn.resourcemanager.hostname}:18032",
		KeyAMMaxAttempts:  " 10 ",
		"gostream.test.e": "${env.GOSTREAM_TEST_VAR}/x",
		"loop":            "${loop}",
	})
	t.Setenv("HADOOP_CONF_DIR", hadoop)
	t.Setenv("YARN_CONF_DIR", yarn)
	t.Setenv("GOSTREAM_TEST_VAR", "v")
	c, err := LoadFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.String("fs.defaultFS", ""); got != "hdfs://nn:9000" {
		t.Errorf("fs.defaultFS %q", got)
	}
	if got, _ := c.RMAddresses(); !slices.Equal(got, []string{"rm.example:18032"}) {
		t.Errorf("RM %v", got)
	}
	if got, _ := c.RMSchedulerAddresses(); !slices.Equal(got, []string{"rm.example:8030"}) {
		t.Errorf("scheduler %v", got)
	}
	if got, _ := c.RMWebappAddress(); got != "rm.example:8088" {
		t.Errorf("web %v", got)
	}
	if n, err := c.AMMaxAttempts(); n != 10 || err != nil {
		t.Errorf("max attempts %d %v", n, err)
	}
	if got := c.String("gostream.test.e", ""); got != "v/x" {
		t.Errorf("env expansion %q", got)
	}
	_ = c.String("loop", "") // must terminate
	if len(c.Sources()) != 2 {
		t.Errorf("sources %v", c.Sources())
	}
}

func TestEmptyDefaults(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := c.RMAddresses(); !slices.Equal(got, []string{"0.0.0.0:8032"}) {
		t.Errorf("RM %v", got)
	}
	if n, _ := c.AMMaxAttempts(); n != 2 {
		t.Errorf("max attempts %d", n)
	}
	if c.Kerberos() {
		t.Error("kerberos by default")
	}
}

func TestHA(t *testing.T) {
	c := New(map[string]string{
		KeyRMHAEnabled:                  "true",
		KeyRMHAIDs:                      "rm1, rm2",
		KeyRMAddress + ".rm1":           "a:1",
		KeyRMHostname + ".rm2":          "b",
		KeySecurityAuthn:                "Kerberos",
		KeyAMMaxAttempts:                "x",
		"yarn.resourcemanager.bad.port": "a:b",
	})
	if got, err := c.RMAddresses(); err != nil || !slices.Equal(got, []string{"a:1", "b:8032"}) {
		t.Errorf("RM %v %v", got, err)
	}
	if !c.Kerberos() {
		t.Error("kerberos")
	}
	if _, err := c.AMMaxAttempts(); !errors.Is(err, ErrConfig) {
		t.Errorf("bad int: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, ErrConfig) {
		t.Errorf("missing dir: %v", err)
	}
	d := t.TempDir()
	os.WriteFile(filepath.Join(d, "yarn-site.xml"), []byte("<configuration><property>"), 0o644)
	if _, err := Load(d); !errors.Is(err, ErrConfig) {
		t.Errorf("bad xml: %v", err)
	}
}

func TestLoadEnv(t *testing.T) {
	hadoop, yarn := t.TempDir(), t.TempDir()
	writeSite(t, hadoop, "core-site.xml", map[string]string{"fs.defaultFS": "hdfs://nn:9000"})
	writeSite(t, yarn, "core-site.xml", map[string]string{"fs.defaultFS": "hdfs://other:9000"})
	writeSite(t, yarn, "yarn-site.xml", map[string]string{KeyRMHostname: "rm.example"})
	env := map[string]string{EnvConfDir: " " + hadoop + " ", EnvYarnConfDir: yarn}
	c, err := LoadEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(hadoop, "core-site.xml"), filepath.Join(yarn, "yarn-site.xml")}
	if !slices.Equal(c.Sources(), want) || c.DefaultFS() != "hdfs://nn:9000" {
		t.Errorf("sources %q, fs.defaultFS %s: want %q, HADOOP_CONF_DIR's first", c.Sources(), c.DefaultFS(), want)
	}
	delete(env, EnvConfDir)
	if c, err = LoadEnv(func(k string) string { return env[k] }); err != nil || c.DefaultFS() != "hdfs://other:9000" {
		t.Errorf("YARN_CONF_DIR alone: %v, fs.defaultFS %s", err, c.DefaultFS())
	}
	env[EnvConfDir] = filepath.Join(hadoop, "missing")
	if _, err = LoadEnv(func(k string) string { return env[k] }); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "HADOOP_CONF_DIR="+env[EnvConfDir]) {
		t.Errorf("missing HADOOP_CONF_DIR: %v, want ErrConfig naming the variable and the directory", err)
	}
}

// TestNoSiteFiles: a configuration directory without site files is named,
// with the variable that pointed there and what to do, instead of "set
// HADOOP_CONF_DIR" when it is set.
func TestNoSiteFiles(t *testing.T) {
	empty, other := t.TempDir(), t.TempDir()
	files := "none of core-site.xml, hdfs-site.xml, yarn-site.xml"
	todo := "point HADOOP_CONF_DIR at the cluster's client configuration, e.g. /etc/hadoop/conf"
	tests := []struct {
		name         string
		hadoop, yarn string
		want         []string
	}{
		{"HADOOP_CONF_DIR without site files", empty, "",
			[]string{"no Hadoop site files (HADOOP_CONF_DIR=" + empty + " holds " + files + ": " + todo + ")"}},
		{"both without site files", empty, other,
			[]string{"HADOOP_CONF_DIR=" + empty + " and YARN_CONF_DIR=" + other + " hold " + files, todo}},
		{"YARN_CONF_DIR without site files", "", other,
			[]string{"YARN_CONF_DIR=" + other + " holds " + files, "point YARN_CONF_DIR at the cluster's client configuration"}},
		{"neither set", "", "",
			[]string{"no Hadoop site files (set HADOOP_CONF_DIR to the cluster's client configuration, e.g. /etc/hadoop/conf, the directory holding its core-site.xml, hdfs-site.xml, yarn-site.xml)"}},
	}
	for _, tt := range tests {
		t.Setenv(EnvConfDir, tt.hadoop)
		t.Setenv(EnvYarnConfDir, tt.yarn)
		c, err := LoadFromEnv()
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got := c.Describe()
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: Describe() = %q, want it to say %q", tt.name, got, w)
			}
		}
	}
	// A directory given directly is named without a variable.
	c, err := Load(empty)
	if err != nil || c.Describe() != "no Hadoop site files ("+empty+" holds "+files+")" {
		t.Errorf("Load(%s): %v, Describe() = %q", empty, err, c.Describe())
	}
}
