package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// application is the program gostream-submit runs.
type application struct {
	given string // as given on the command line
	path  string // absolute path of the file to execute
	// pkgDir is the Go main package directory to build into path, or "".
	pkgDir string
	// static builds with CGO_ENABLED=0, for other machines.
	static bool
}

// findApp checks the application argument: an executable file, or a
// directory holding a Go main package (built later by build). Errors wrap
// errUsage and say what to do.
func findApp(arg string) (*application, error) {
	if arg == "" {
		return nil, usageError("no application given: name the application's binary (or a Go main package directory) after the options")
	}
	abs, err := filepath.Abs(arg)
	if err != nil {
		return nil, usageError("application %s: %v", arg, err)
	}
	st, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		hint := "check the path"
		if !strings.ContainsRune(arg, filepath.Separator) {
			hint = "give a path to the binary, e.g. ./" + arg
		}
		return nil, usageError("application %s: no such file or directory (%s)", arg, hint)
	case err != nil:
		return nil, usageError("application %s: %v", arg, err)
	case st.IsDir():
		gofiles, _ := filepath.Glob(filepath.Join(abs, "*.go"))
		if len(gofiles) == 0 {
			return nil, usageError("application %s is a directory without Go files: give the application's binary or a directory holding its main package", arg)
		}
		return &application{given: arg, pkgDir: abs}, nil
	case !st.Mode().IsRegular():
		return nil, usageError("application %s is not a regular file: give the application's binary", arg)
	case st.Mode().Perm()&0o111 == 0:
		return nil, usageError("application %s is not executable: make it executable (chmod +x %s) or give the directory of its Go main package", arg, arg)
	}
	return &application{given: arg, path: abs}, nil
}

// buildTimeout bounds "go build" of an application package.
const buildTimeout = 10 * time.Minute

// build compiles a Go main package application into tmpDir. The compiler's
// messages go to stderr. A package that does not build, or is not a main
// package, is a usage error.
func (a *application) build(ctx context.Context, tmpDir string, stderr io.Writer) error {
	if a.pkgDir == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		return usageError("application %s is a Go package directory, but the go command is not installed or not on PATH: build the binary and give its path", a.given)
	}

	var out bytes.Buffer
	list := exec.CommandContext(ctx, goTool, "list", "-f", "{{.Name}}", ".")
	list.Dir, list.Stdout, list.Stderr = a.pkgDir, &out, &out
	if err := list.Run(); err != nil {
		return usageError("application %s is not a Go package that can be built here (go list: %v):\n%s", a.given, err, strings.TrimSpace(out.String()))
	}
	if name := strings.TrimSpace(out.String()); name != "main" {
		return usageError("application %s holds Go package %q, not a main package: give the directory of the application's main package", a.given, name)
	}

	name := filepath.Base(a.pkgDir)
	if name == "" || name == "." || name == string(filepath.Separator) {
		name = "app"
	}
	a.path = filepath.Join(tmpDir, name)
	build := exec.CommandContext(ctx, goTool, "build", "-o", a.path, ".")
	build.Dir, build.Stdout, build.Stderr = a.pkgDir, stderr, stderr
	if a.static {
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
	}
	if err := build.Run(); err != nil {
		return usageError("application %s: go build failed (%v); fix the errors above, or give a built binary", a.given, err)
	}
	return nil
}
