package hadoopconf

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNameNodes(t *testing.T) {
	dir := t.TempDir()
	writeSite(t, dir, "core-site.xml", map[string]string{"fs.defaultFS": "hdfs://ns1"})
	writeSite(t, dir, "hdfs-site.xml", map[string]string{
		"dfs.nameservices":                  "ns1,fed",
		"dfs.ha.namenodes.ns1":              "nn1, nn2",
		"dfs.namenode.rpc-address.ns1.nn1":  "a:8020",
		"dfs.namenode.rpc-address.ns1.nn2":  "${nn2.host}:8020",
		"nn2.host":                          "b",
		"dfs.namenode.rpc-address.fed":      "c:9000",
		"dfs.ha.namenodes.broken":           "x",
		"dfs.client.use.datanode.hostname":  "true",
		"hadoop.security.authentication":    "simple",
		"dfs.namenode.rpc-address.ignored.": "",
	})
	conf, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := conf.DefaultFS(); got != "hdfs://ns1" {
		t.Errorf("DefaultFS = %q", got)
	}
	if !conf.UseDatanodeHostname() || conf.Kerberos() {
		t.Errorf("UseDatanodeHostname %v Kerberos %v", conf.UseDatanodeHostname(), conf.Kerberos())
	}
	for _, tc := range []struct {
		authority string
		want      string // comma-joined, or "error"
	}{
		{"ns1", "a:8020,b:8020"},
		{"fed", "c:9000"},
		{"nn.example:8021", "nn.example:8021"},
		{"nn.example", "nn.example:8020"},
		{"[::1]:8020", "[::1]:8020"},
		{"broken", "error"},
		{"", "error"},
	} {
		got, err := conf.NameNodes(tc.authority)
		if tc.want == "error" {
			if err == nil {
				t.Errorf("NameNodes(%q) = %v, want an error", tc.authority, got)
			} else if !errors.Is(err, ErrConfig) {
				t.Errorf("NameNodes(%q): %v, want ErrConfig", tc.authority, err)
			}
			continue
		}
		if err != nil || strings.Join(got, ",") != tc.want {
			t.Errorf("NameNodes(%q) = %v, %v; want %s", tc.authority, got, err, tc.want)
		}
	}
	if _, err := conf.NameNodes("a:b:c"); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("NameNodes(a:b:c): %v, want fs.ErrInvalid", err)
	}
}

func TestHDFSDefaults(t *testing.T) {
	c := New(map[string]string{"fs.default.name": "hdfs://old:9000", KeyUseDatanodeHostname: "yes"})
	if got := c.DefaultFS(); got != "hdfs://old:9000" {
		t.Errorf("DefaultFS from the deprecated key = %q", got)
	}
	if c.UseDatanodeHostname() {
		t.Error("UseDatanodeHostname with \"yes\": want false, as in Hadoop")
	}
	if got := New(nil).DefaultFS(); got != "" {
		t.Errorf("DefaultFS of an empty configuration = %q", got)
	}
}

func TestLoadHDFSSiteErrors(t *testing.T) {
	if c, err := Load(); err != nil || c.DefaultFS() != "" || len(c.Sources()) != 0 {
		t.Errorf("Load() = %v, %v; want no configuration", c, err)
	}
	missing := filepath.Join(t.TempDir(), "nope")
	if _, err := Load(missing); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing dir: %v, want ErrConfig naming %s", err, missing)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "core-site.xml"), []byte("<configuration><property>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); !errors.Is(err, ErrConfig) {
		t.Errorf("bad XML: %v, want ErrConfig", err)
	}
}
