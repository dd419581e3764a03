package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/internal/procenv"
	"github.com/gostream/gostream/internal/yarnctl"
)

// Exit statuses of gostream-submit; any other status is the application's.
const (
	exitOK          = 0
	exitStartFailed = 1 // the application could not be started
	exitUsage       = 2 // bad command line, configuration or application
)

// version is set at link time (-ldflags "-X main.version=…"); otherwise the
// module version from the build information is shown.
var version = ""

// stdio are the standard streams gostream-submit and the application use.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// signalSource starts delivering SIGINT and SIGTERM on a channel until stop
// is called. Tests replace it.
type signalSource func() (sigs <-chan os.Signal, stop func())

func notifySignals() (<-chan os.Signal, func()) {
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	return ch, func() { signal.Stop(ch) }
}

// submit runs gostream-submit with args (without the program name) and the
// environment environ, and returns its exit status.
func submit(args, environ []string, std stdio, signals signalSource) int {
	prog := newProgress(std.err)
	logf := prog.logf
	fail := func(err error) int {
		msg := strings.TrimPrefix(err.Error(), errUsage.Error()+": ")
		logf("%s", msg)
		if errors.Is(err, errUsage) || errors.Is(err, yarnctl.ErrConfig) {
			return exitUsage
		}
		return exitStartFailed
	}

	if len(args) == 0 {
		writeUsage(std.err)
		return exitUsage
	}
	o, err := parseArgs(args)
	if err != nil {
		logf("%s", strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
		logf("run 'gostream-submit --help' for usage")
		return exitUsage
	}
	switch {
	case o.help:
		writeUsage(std.out)
		return exitOK
	case o.helpConf:
		if err := conf.WriteHelp(std.out); err != nil {
			return fail(err)
		}
		return exitOK
	case o.version:
		fmt.Fprintf(std.out, "gostream-submit %s (%s %s/%s)\n", versionString(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return exitOK
	}

	c, err := resolveConf(o, environ, func(err error) { logf("warning: %v", err) })
	if err != nil {
		logf("invalid configuration:")
		for line := range strings.SplitSeq(err.Error(), "\n") {
			fmt.Fprintf(std.err, "  %s\n", line)
		}
		logf("run 'gostream-submit --help-conf' for every key and its values")
		return exitUsage
	}
	if o.status != "" || o.kill != "" {
		if o.status != "" && o.kill != "" || o.app != "" {
			return fail(usageError("--status and --kill take an application id and nothing else"))
		}
		ctx, cancel := contextUntilSignal(nil)
		defer cancel()
		status, err := yarnCommand(ctx, o, c, environ, std.out, logf)
		if err != nil {
			logf("%s", strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
		}
		return status
	}
	if w := noEffectLocally(o, c); w != "" {
		logf("warning: %s", w)
	}
	app, err := findApp(o.app)
	if err != nil {
		return fail(err)
	}
	defaultAppName(c, o.app)
	if err := checkFiles(c); err != nil {
		return fail(usageError("%v", err))
	}
	if o.verbose {
		printConf(std.err, o, c)
	}
	sigs, stop := signals()
	defer stop()
	if app.pkgDir != "" {
		tmp, err := os.MkdirTemp("", "gostream-submit-")
		if err != nil {
			return fail(fmt.Errorf("create a directory to build %s in: %w", o.app, err))
		}
		defer os.RemoveAll(tmp)
		// On YARN the binary runs on the cluster's nodes: build it without
		// cgo, so that it needs no particular C library there.
		app.static = c.Master().YARN
		if o.verbose {
			logf("building Go package %s into %s", app.pkgDir, tmp)
		}
		if sig, err := buildInterruptibly(app, tmp, std.err, sigs); sig != nil {
			logf("interrupted (%v) while building %s", sig, o.app)
			return 128 + signalNumber(sig)
		} else if err != nil {
			return fail(err)
		}
	}
	if c.Master().YARN {
		// In cluster mode a signal stops the following; in client mode it
		// goes to the driver, as with a local master.
		cluster := c.String(conf.DeployMode) == conf.DeployModeCluster
		ctx, cancel := context.WithCancel(context.Background())
		if cluster {
			ctx, cancel = contextUntilSignal(sigs)
		}
		defer cancel()
		y, err := yarnctl.Connect(ctx, environ, kerberosCredentials(c))
		if err != nil {
			return fail(err)
		}
		defer y.Close()
		if y.Hadoop.Kerberos() {
			return fail(errKerberosSubmit)
		}
		var status int
		if cluster {
			status, err = submitYARN(ctx, yarnCluster{y}, c, app, o.appArgs, environ, std.out, prog)
		} else {
			status, err = runYARNClient(ctx, yarnCluster{y}, c, app, o.appArgs, environ, std, sigs, logf)
		}
		if err != nil {
			logf("%s", strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
		}
		return status
	}

	ch := child{path: app.path, args: o.appArgs, env: childEnv(environ, c), stdin: std.in, stdout: std.out, stderr: std.err}
	if o.verbose {
		logf("running: %s=%s %s", procenv.Role, procenv.RoleDriver, shellJoin(append([]string{ch.path}, ch.args...)))
	}
	status, err := runLocal(ch, sigs)
	if err != nil {
		return fail(err)
	}
	if o.verbose {
		logf("application exited with status %d", status)
	}
	return status
}

// contextUntilSignal is a context that ends when a signal arrives on sigs.
func contextUntilSignal(sigs <-chan os.Signal) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	if sigs != nil {
		go func() {
			select {
			case <-sigs:
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	return ctx, cancel
}

// buildInterruptibly builds app, giving up when a signal arrives; it
// returns that signal, if any.
func buildInterruptibly(app *application, dir string, stderr io.Writer, sigs <-chan os.Signal) (os.Signal, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- app.build(ctx, dir, stderr) }()
	select {
	case err := <-done:
		return nil, err
	case sig := <-sigs:
		cancel()
		<-done
		return sig, nil
	}
}

func signalNumber(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return int(s)
	}
	return 0
}

// printConf prints what --verbose shows before running: the properties file
// and the settings above the built-in defaults, as the application gets
// them in its environment.
func printConf(w io.Writer, o *options, c *conf.Conf) {
	pf := propertiesFileUsed(o)
	if pf == "" {
		pf = "none"
	}
	fmt.Fprintf(w, "gostream-submit: properties file: %s\n", pf)
	fmt.Fprintf(w, "gostream-submit: master %s, application name %q\n", c.String(conf.Master), c.String(conf.AppName))
	fmt.Fprintf(w, "gostream-submit: configuration (settings above the built-in defaults, as passed in the environment):\n")
	for _, kv := range c.Environ() {
		fmt.Fprintf(w, "  %s\n", kv)
	}
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellJoin quotes args for display as a shell command.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if shellSafe.MatchString(a) {
			q[i] = a
		} else {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(q, " ")
}
