package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/hdfsstore"
	"github.com/gostream/gostream/internal/hadoop/security"
	"github.com/gostream/gostream/internal/hadoopconf"
	"github.com/gostream/gostream/internal/yarn"
	"github.com/gostream/gostream/internal/yarnctl"
)

// Exit statuses.
const (
	exitOK      = 0
	exitNo      = 1 // a negative answer: no such file, the application did not succeed
	exitUsage   = 2
	exitError   = 3
	exitTimeout = 124
)

const usage = `usage:
  gostream [--principal P --keytab FILE] fs exists|touch|cat|rm PATH
  gostream [--principal P --keytab FILE] fs create PATH [TEXT]
  gostream [--principal P --keytab FILE] fs put PATH TEXT
  gostream [--principal P --keytab FILE] app status|kill APP_ID
  gostream [--principal P --keytab FILE] app wait [-timeout DURATION] APP_ID
(gostream -h: what each does)`

// opTimeout bounds each file-system command.
const opTimeout = 2 * time.Minute

// run runs the command line args and returns the exit status.
func run(args, environ []string, stdout, stderr io.Writer) int {
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "gostream: "+format+"\n", a...) }
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var status int
	creds, args, err := kerberosFlags(args, environ)
	if err != nil {
		logf("%v", err)
		fmt.Fprintln(stderr, usage)
		return exitUsage
	}
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, helpText)
		return exitOK
	case "fs":
		status, err = runFS(ctx, args[1:], environ, creds, stdout)
	case "app":
		status, err = runApp(ctx, args[1:], environ, creds, stdout, logf)
	default:
		err = fmt.Errorf("%w: unknown command %q", errUsage, args[0])
	}
	if err != nil {
		logf("%v", err)
		if errors.Is(err, errUsage) {
			fmt.Fprintln(stderr, usage)
			return exitUsage
		}
		if errors.Is(err, yarnctl.ErrConfig) {
			return exitUsage
		}
		if status == exitOK {
			status = exitError
		}
	}
	return status
}

const helpText = `gostream: the operator's tool for gostream applications on YARN.

  gostream fs exists PATH         exit 0 when PATH exists, 1 when it does not
  gostream fs touch PATH          create PATH, empty, unless it exists
  gostream fs create PATH [TEXT]  create PATH holding TEXT; exit 1 if it exists
  gostream fs put PATH TEXT       replace PATH's contents with TEXT (atomically)
  gostream fs cat PATH            print PATH
  gostream fs rm PATH             remove PATH; exit 1 if it did not exist
  gostream app status APP_ID      the RM's report and, while it runs, the
                                  driver's last completed batch and its delays
  gostream app wait [-timeout D] APP_ID
                                  wait until the application ends; exit 0 if it
                                  ended SUCCEEDED, 1 otherwise, 124 on timeout
                                  (default: while the driver completes batches,
                                  and 3 batches + the graceful-stop timeout +
                                  1 min without one, from its status page)
  gostream app kill APP_ID        kill it and remove its staging directory

PATH is an hdfs:// URL, a file:// URL or a plain path (on fs.defaultFS of
HADOOP_CONF_DIR). The cluster comes from HADOOP_CONF_DIR (or YARN_CONF_DIR),
the user from HADOOP_USER_NAME. On a kerberized cluster the user is a
Kerberos principal: --principal and --keytab (or GOSTREAM_KERBEROS_PRINCIPAL
and GOSTREAM_KERBEROS_KEYTAB) log in with a keytab, otherwise the ticket
cache of kinit (KRB5CCNAME) is used; krb5.conf comes from KRB5_CONFIG, else
/etc/krb5.conf.

Exit status: 0 yes/success; 1 no; 2 usage; 3 error; 124 timeout.
`

var errUsage = errors.New("usage")

// runFS runs a file-system command.
func runFS(ctx context.Context, args, environ []string, creds security.Credentials, stdout io.Writer) (int, error) {
	if len(args) < 2 {
		return exitUsage, fmt.Errorf("%w: fs needs a command and a path", errUsage)
	}
	cmd, name, rest := args[0], args[1], args[2:]
	wantArgs := map[string][2]int{"exists": {0, 0}, "touch": {0, 0}, "cat": {0, 0}, "rm": {0, 0}, "create": {0, 1}, "put": {1, 1}}
	n, ok := wantArgs[cmd]
	if !ok {
		return exitUsage, fmt.Errorf("%w: unknown fs command %q", errUsage, cmd)
	}
	if len(rest) < n[0] || len(rest) > n[1] {
		return exitUsage, fmt.Errorf("%w: fs %s: wrong number of arguments", errUsage, cmd)
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	hc, err := hadoopconf.LoadEnv(func(k string) string { return yarnctl.Getenv(environ, k) })
	if err != nil {
		return exitError, err
	}
	resolver := &hdfsstore.Resolver{Conf: hc, User: yarnctl.Getenv(environ, security.EnvUser),
		KerberosPrincipal: creds.Principal, KerberosKeytab: creds.Keytab}
	defer resolver.Close()
	fsys, p, err := resolver.ForPath(ctx, name)
	if err != nil {
		return exitError, err
	}
	text := ""
	if len(rest) > 0 {
		text = rest[0]
	}
	switch cmd {
	case "exists":
		_, err := fsys.Stat(ctx, p)
		if errors.Is(err, fs.ErrNotExist) {
			return exitNo, nil
		}
		return result(err)
	case "touch":
		if _, err := fsys.Stat(ctx, p); !errors.Is(err, fs.ErrNotExist) {
			return result(err)
		}
		return result(hdfsstore.WriteFileAtomic(ctx, fsys, p, nil))
	case "create":
		err := createExclusive(ctx, fsys, p, text)
		if errors.Is(err, fs.ErrExist) {
			return exitNo, fmt.Errorf("%s exists", name)
		}
		return result(err)
	case "put":
		return result(hdfsstore.WriteFileAtomic(ctx, fsys, p, []byte(text)))
	case "cat":
		r, err := fsys.Open(ctx, p)
		if err != nil {
			return exitError, err
		}
		defer r.Close()
		_, err = io.Copy(stdout, r)
		return result(err)
	default: // rm
		err := fsys.Remove(ctx, p)
		if errors.Is(err, fs.ErrNotExist) {
			return exitNo, fmt.Errorf("%s does not exist", name)
		}
		return result(err)
	}
}

// createExclusive creates name holding text, failing with fs.ErrExist when
// it exists: two processes racing for it cannot both win.
func createExclusive(ctx context.Context, fsys hdfsstore.FS, name, text string) error {
	w, err := fsys.Create(ctx, name)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, text); err != nil {
		_ = w.Abort(ctx)
		return err
	}
	return w.Commit(ctx)
}

// runApp runs an application command.
func runApp(ctx context.Context, args, environ []string, creds security.Credentials, stdout io.Writer, logf func(string, ...any)) (int, error) {
	if len(args) < 1 {
		return exitUsage, fmt.Errorf("%w: app needs a command", errUsage)
	}
	cmd := args[0]
	flags := flag.NewFlagSet("gostream app "+cmd, flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	timeout := flags.Duration("timeout", 0, "how long wait waits (0: from the driver's status page)")
	if err := flags.Parse(args[1:]); err != nil {
		return exitUsage, fmt.Errorf("%w: %v", errUsage, err)
	}
	if flags.NArg() != 1 {
		return exitUsage, fmt.Errorf("%w: app %s takes one application id", errUsage, cmd)
	}
	if cmd != "wait" && *timeout != 0 {
		return exitUsage, fmt.Errorf("%w: -timeout is for app wait", errUsage)
	}
	id, err := yarn.ParseApplicationID(flags.Arg(0))
	if err != nil {
		return exitUsage, fmt.Errorf("%w: %v", errUsage, err)
	}
	y, err := yarnctl.Connect(ctx, environ, creds)
	if err != nil {
		return exitError, err
	}
	defer y.Close()
	switch cmd {
	case "status":
		r, err := y.Report(ctx, id)
		if err != nil {
			return exitError, err
		}
		yarnctl.PrintReport(stdout, r)
		if r.State == yarn.StateRunning {
			printDriver(ctx, stdout, r.TrackingURL)
		}
		return exitOK, nil
	case "wait":
		return waitApp(ctx, y, id, *timeout, logf)
	case "kill":
		c, err := conf.Load(conf.Sources{Environ: environ})
		if err != nil {
			return exitUsage, err
		}
		r, err := y.Kill(ctx, id, "killed with gostream app kill by "+y.User, c.String(conf.YarnStagingDir), time.Minute)
		if err != nil {
			return exitError, err
		}
		logf("%s: %s, final status %s", id, r.State, r.FinalStatus)
		return exitOK, nil
	default:
		return exitUsage, fmt.Errorf("%w: unknown app command %q", errUsage, cmd)
	}
}

// printDriver prints the driver's view: attempt, executors, last batch.
func printDriver(ctx context.Context, w io.Writer, trackingURL string) {
	st, err := yarnctl.DriverStatus(ctx, trackingURL)
	if err != nil {
		fmt.Fprintf(w, "driver:       unavailable (%v)\n", err)
		return
	}
	fmt.Fprintf(w, "executors:    %d running, %d registered, %d failed\n", len(st.Executors), len(st.Registered), st.ExecutorFailures)
	fmt.Fprintf(w, "batches:      %d completed (batch duration %s)\n", st.CompletedBatches, st.BatchDuration)
	if n := len(st.Batches); n > 0 {
		b := st.Batches[n-1]
		fmt.Fprintf(w, "last batch:   %s, %d records, scheduling delay %s, processing %s, total delay %s\n",
			b.Time.Format(time.RFC3339), b.Records, b.Scheduling, b.Processing, b.TotalDelay)
	}
	if st.StopMarker != "" {
		fmt.Fprintf(w, "stop marker:  %s\n", st.StopMarker)
	}
}

// result is the exit status of a command that either did it or failed.
func result(err error) (int, error) {
	if err != nil {
		return exitError, err
	}
	return exitOK, nil
}

// kerberosFlags takes the leading --principal and --keytab off args; without
// them, the Kerberos login is gostream.kerberos.principal and
// gostream.kerberos.keytab of the environment (GOSTREAM_KERBEROS_*).
func kerberosFlags(args, environ []string) (security.Credentials, []string, error) {
	var creds security.Credentials
	given := false
	for len(args) > 0 && strings.HasPrefix(args[0], "--") {
		name, value, hasValue := strings.Cut(args[0], "=")
		var dst *string
		switch name {
		case "--principal":
			dst = &creds.Principal
		case "--keytab":
			dst = &creds.Keytab
		default:
			return creds, args, fmt.Errorf("unknown option %s", name)
		}
		if !hasValue {
			if len(args) < 2 {
				return creds, args, fmt.Errorf("%s needs a value", name)
			}
			value, args = args[1], args[1:]
		}
		*dst, args, given = value, args[1:], true
	}
	if !given {
		c, err := conf.Load(conf.Sources{Environ: environ, NoDefaultPropertiesFile: true})
		if err != nil {
			return creds, args, err
		}
		creds = security.Credentials{Principal: c.String(conf.KerberosPrincipal), Keytab: c.String(conf.KerberosKeytab)}
	}
	if (creds.Principal == "") != (creds.Keytab == "") {
		return creds, args, fmt.Errorf("--principal and --keytab go together (principal %q, keytab %q): give both, or neither to use the ticket cache (kinit)", creds.Principal, creds.Keytab)
	}
	return creds, args, nil
}
