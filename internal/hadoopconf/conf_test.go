package hadoopconf

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
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
