package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// gostream runs the tool with a local file system (no HADOOP_CONF_DIR).
func gostream(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	status := run(args, []string{"PATH=/usr/bin:/bin"}, &out, &errOut)
	return status, out.String(), errOut.String()
}

func TestFSCommands(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "app.marker")
	steps := []struct {
		args   []string
		status int
		out    string
		errOut string
	}{
		{[]string{"fs", "exists", marker}, exitNo, "", ""},
		{[]string{"fs", "rm", marker}, exitNo, "", "does not exist"},
		{[]string{"fs", "touch", marker}, exitOK, "", ""},
		{[]string{"fs", "exists", marker}, exitOK, "", ""},
		{[]string{"fs", "touch", marker}, exitOK, "", ""}, // exists: kept
		{[]string{"fs", "create", marker, "x"}, exitNo, "", "exists"},
		{[]string{"fs", "put", marker + ".appid", "application_1_0001"}, exitOK, "", ""},
		{[]string{"fs", "cat", marker + ".appid"}, exitOK, "application_1_0001", ""},
		{[]string{"fs", "put", marker + ".appid", "application_1_0002"}, exitOK, "", ""},
		{[]string{"fs", "cat", marker + ".appid"}, exitOK, "application_1_0002", ""},
		{[]string{"fs", "create", marker + ".lock", "pid 1"}, exitOK, "", ""},
		{[]string{"fs", "create", marker + ".lock", "pid 2"}, exitNo, "", "exists"},
		{[]string{"fs", "rm", marker}, exitOK, "", ""},
		{[]string{"fs", "exists", marker}, exitNo, "", ""},
		{[]string{"fs", "cat", filepath.Join(dir, "nope")}, exitError, "", "no such file"},
		{[]string{"fs", "touch", filepath.Join(dir, "app.marker.lock", "x")}, exitError, "", "not a directory"},
	}
	for _, s := range steps {
		status, out, errOut := gostream(t, s.args...)
		if status != s.status || !strings.Contains(out, s.out) || !strings.Contains(errOut, s.errOut) {
			t.Errorf("gostream %s: status %d (want %d), stdout %q (want %q), stderr %q (want %q)",
				strings.Join(s.args, " "), status, s.status, out, s.out, errOut, s.errOut)
		}
	}
	if b, err := os.ReadFile(marker + ".lock"); err != nil || string(b) != "pid 1" {
		t.Errorf("the lock holds %q (%v), want the first creator's text", b, err)
	}
}

func TestUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "usage:"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"fs", "exists"}, "needs a command and a path"},
		{[]string{"fs", "put", "/tmp/x"}, "wrong number of arguments"},
		{[]string{"fs", "chmod", "/tmp/x"}, `unknown fs command "chmod"`},
		{[]string{"app", "status"}, "takes one application id"},
		{[]string{"app", "status", "app_1"}, "application_"},
		{[]string{"app", "status", "-timeout", "1s", "application_1_0001"}, "-timeout is for app wait"},
		{[]string{"app", "wait", "application_1_0001"}, "HADOOP_CONF_DIR"},
	} {
		status, _, errOut := gostream(t, tt.args...)
		if status != exitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("gostream %v: status %d, stderr %q; want %d with %q", tt.args, status, errOut, exitUsage, tt.want)
		}
	}
	if status, out, _ := gostream(t, "-h"); status != exitOK || !strings.Contains(out, "app wait") {
		t.Errorf("-h: %d %q", status, out)
	}
}
