package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindApp(t *testing.T) {
	dir := t.TempDir()
	exe := writeFile(t, dir, "app", "#!/bin/sh\n")
	if err := os.Chmod(exe, 0o755); err != nil {
		t.Fatal(err)
	}
	plain := writeFile(t, dir, "plain", "data")
	writeFile(t, dir, "pkg/main.go", "package main\nfunc main() {}\n")
	if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}

	a, err := findApp(exe)
	if err != nil || a.path != exe || a.pkgDir != "" {
		t.Errorf("findApp(executable) = %+v, %v", a, err)
	}
	a, err = findApp(filepath.Join(dir, "pkg"))
	if err != nil || a.pkgDir != filepath.Join(dir, "pkg") || a.path != "" {
		t.Errorf("findApp(package dir) = %+v, %v", a, err)
	}

	for _, tt := range []struct{ arg, want string }{
		{"", "no application given"},
		{filepath.Join(dir, "missing"), "no such file or directory (check the path)"},
		{"missing-app", "give a path to the binary, e.g. ./missing-app"},
		{plain, "is not executable: make it executable (chmod +x"},
		{filepath.Join(dir, "empty"), "is a directory without Go files"},
		{os.DevNull, "is not a regular file"},
	} {
		_, err := findApp(tt.arg)
		if err == nil || !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("findApp(%q) = %v, want a usage error containing %q", tt.arg, err, tt.want)
		}
	}
}

func TestBuildRefusesNonMainPackage(t *testing.T) {
	a, err := findApp("testdata/notmain")
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	err = a.build(t.Context(), t.TempDir(), &stderr)
	if err == nil || !errors.Is(err, errUsage) || !strings.Contains(err.Error(), `holds Go package "notmain", not a main package`) {
		t.Errorf("build = %v", err)
	}
}

func TestBuildReportsCompileErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "go.mod", "module broken\n\ngo 1.22\n")
	writeFile(t, dir, "main.go", "package main\n\nfunc main() { undefinedThing() }\n")
	a, err := findApp(dir)
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	err = a.build(t.Context(), t.TempDir(), &stderr)
	if err == nil || !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "go build failed") {
		t.Errorf("build = %v", err)
	}
	if !strings.Contains(stderr.String(), "undefinedThing") {
		t.Errorf("compiler messages not shown: %q", stderr.String())
	}
}
