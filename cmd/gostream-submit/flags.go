package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/gostream/gostream/conf"
)

// options are the parsed command line.
type options struct {
	help, helpConf, version, verbose bool

	status, kill string // --status APP_ID, --kill APP_ID

	propertiesFile string   // --properties-file
	confs          []string // --conf key=value, in order

	// settings are the flags that set one configuration key each, in the
	// order of keyFlags, with the value as given. Only flags given on the
	// command line are listed.
	settings []flagSetting

	app     string   // the application: a binary, or a Go main package directory
	appArgs []string // everything after the application, untouched
}

// flagSetting is a flag that sets a configuration key.
type flagSetting struct {
	flag  string // "--master"
	key   string // conf.Master
	value string
}

// keyFlag is a flag that sets one configuration key. Its value is kept as
// text and checked by conf, so that a bad value gets conf's error message.
type keyFlag struct {
	name  string
	key   string
	usage string // names the value in backquotes, for the usage text
	list  bool   // repeatable; the values are joined with commas
}

// keyFlags are the flags that set configuration keys, in usage order.
var keyFlags = []keyFlag{
	{name: "master", key: conf.Master,
		usage: "`MASTER` to run on: local (1 task slot), local[N], local[*] (a slot per CPU) or yarn"},
	{name: "deploy-mode", key: conf.DeployMode,
		usage: "`MODE` of a yarn master: client (the driver runs here) or cluster (in the application master)"},
	{name: "name", key: conf.AppName,
		usage: "application `NAME` (default: the application's file name)"},
	{name: "num-executors", key: conf.ExecutorInstances, usage: "`N` executors (YARN)"},
	{name: "executor-memory", key: conf.ExecutorMemory, usage: "`SIZE` of each executor's memory, e.g. 2g (YARN)"},
	{name: "executor-cores", key: conf.ExecutorCores, usage: "`N` cores (task slots) per executor (YARN)"},
	{name: "driver-memory", key: conf.DriverMemory,
		usage: "`SIZE` of the driver's memory, e.g. 1g; with a local master, the application's GOMEMLIMIT"},
	{name: "driver-cores", key: conf.DriverCores, usage: "`N` cores of the driver (YARN cluster mode)"},
	{name: "queue", key: conf.YarnQueue, usage: "YARN `QUEUE` to submit to"},
	{name: "files", key: conf.Files, list: true,
		usage: "comma-separated `FILES` for the working directory of the driver and executors (YARN; checked locally); repeatable"},
	{name: "principal", key: conf.KerberosPrincipal, usage: "Kerberos `PRINCIPAL` to log in as (with --keytab; without both, the ticket cache)"},
	{name: "keytab", key: conf.KerberosKeytab, usage: "Kerberos keytab `FILE` of --principal"},
}

// sparkFlag is a spark-submit flag gostream-submit does not have. It is
// accepted by the parser (hidden) so that using it gets a specific answer
// instead of "unknown flag".
type sparkFlag struct {
	name     string
	hasValue bool
	hint     string
}

var sparkOnlyFlags = []sparkFlag{
	{"class", true, "a gostream application is a Go binary: give its path, there is no main class"},
	{"jars", true, "gostream runs Go binaries, not JVM jars: build everything into the application binary"},
	{"packages", true, "gostream runs Go binaries: dependencies are compiled into the application binary"},
	{"exclude-packages", true, "gostream runs Go binaries: dependencies are compiled into the application binary"},
	{"repositories", true, "gostream runs Go binaries: dependencies are compiled into the application binary"},
	{"py-files", true, "gostream runs Go binaries, not Python"},
	{"archives", true, "gostream does not ship archives; list plain files with --files"},
	{"driver-java-options", true, "gostream runs Go binaries, not a JVM"},
	{"driver-library-path", true, "gostream runs Go binaries, not a JVM"},
	{"driver-class-path", true, "gostream runs Go binaries, not a JVM"},
	{"total-executor-cores", true, "that is for Spark standalone and Mesos; on YARN use --num-executors and --executor-cores"},
	{"supervise", false, "that is for Spark standalone; on YARN a failed application master is restarted up to gostream.yarn.maxAppAttempts times"},
	{"proxy-user", true, "gostream does not impersonate other users"},
}

// errUsage marks errors in the command line.
var errUsage = errors.New("usage error")

// usageError is a command-line mistake; its message says what to do.
func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// newFlagSet defines gostream-submit's flags on a new set writing into o.
// Key flags are stored in keyValues, indexed like keyFlags.
func newFlagSet(o *options, keyValues []stringsValue, sparkValues []stringsValue) *pflag.FlagSet {
	fs := pflag.NewFlagSet("gostream-submit", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)  // errors are reported by submit
	fs.SetInterspersed(false) // everything after the application is its own
	fs.SortFlags = false
	for i, f := range keyFlags {
		fs.Var(&keyValues[i], f.name, f.usage+" ("+f.key+")")
	}
	fs.StringArrayVar(&o.confs, "conf", nil, "set a configuration key, `KEY=VALUE` (a gostream or Spark name); repeatable")
	fs.StringVar(&o.propertiesFile, "properties-file", "",
		"properties `FILE` (default "+conf.DefaultPropertiesFile+" when it exists): Spark's spark-defaults.conf format "+
			"(key value lines) when named *.conf or *.properties, else YAML (or Spark's format, if its content is not a YAML mapping)")
	fs.StringVar(&o.status, "status", "", "print the YARN report of application `APP_ID` and exit")
	fs.StringVar(&o.kill, "kill", "", "kill YARN application `APP_ID` (it ends KILLED, its staging directory is removed) and exit")
	fs.BoolVarP(&o.verbose, "verbose", "v", false, "print the resolved configuration and the command run")
	fs.BoolVarP(&o.help, "help", "h", false, "print this help and exit")
	fs.BoolVar(&o.helpConf, "help-conf", false, "list every configuration key and exit")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	for i, f := range sparkOnlyFlags {
		fs.Var(&sparkValues[i], f.name, f.hint)
		if !f.hasValue {
			fs.Lookup(f.name).NoOptDefVal = "true"
		}
		_ = fs.MarkHidden(f.name)
	}
	return fs
}

// stringsValue is a flag.Value collecting every value it is given.
type stringsValue struct{ vals []string }

func (v *stringsValue) String() string { return strings.Join(v.vals, ",") }
func (v *stringsValue) Set(s string) error {
	v.vals = append(v.vals, s)
	return nil
}
func (v *stringsValue) Type() string { return "string" }

// parseArgs parses gostream-submit's command line (without the program
// name). Errors wrap errUsage.
func parseArgs(args []string) (*options, error) {
	o := &options{}
	keyValues := make([]stringsValue, len(keyFlags))
	sparkValues := make([]stringsValue, len(sparkOnlyFlags))
	fs := newFlagSet(o, keyValues, sparkValues)
	if err := fs.Parse(args); err != nil {
		return nil, usageError("%v", err)
	}
	for i, f := range sparkOnlyFlags {
		if len(sparkValues[i].vals) > 0 {
			return nil, usageError("--%s is a spark-submit flag gostream-submit does not have: %s", f.name, f.hint)
		}
	}
	for i, f := range keyFlags {
		vals := keyValues[i].vals
		if len(vals) == 0 {
			continue
		}
		// A repeated flag: the last wins, as in spark-submit, except for
		// lists, which accumulate.
		v := vals[len(vals)-1]
		if f.list {
			v = strings.Join(vals, ",")
		}
		o.settings = append(o.settings, flagSetting{flag: "--" + f.name, key: f.key, value: v})
	}
	if rest := fs.Args(); len(rest) > 0 {
		o.app, o.appArgs = rest[0], rest[1:]
	}
	if o.appArgs == nil {
		o.appArgs = []string{}
	}
	return o, nil
}

// writeUsage writes the usage text.
func writeUsage(w io.Writer) {
	o := &options{}
	fs := newFlagSet(o, make([]stringsValue, len(keyFlags)), make([]stringsValue, len(sparkOnlyFlags)))
	fmt.Fprintf(w, `Usage: gostream-submit [options] APP [app arguments]

Runs a gostream streaming application. APP is the application's binary, or a
directory holding a Go main package, which is built first (with "go build").
Everything after APP is passed to the application unchanged; put "--" before
APP if its path starts with "-".

With a local master (local, local[N], local[*]; the default is local[*]) the
application runs here, as a child process in the driver role, with the
resolved configuration in its environment; SIGINT and SIGTERM are forwarded to
it. With --master yarn --deploy-mode cluster it is uploaded to an HDFS staging
directory and submitted to the YARN ResourceManager named by the site files in
HADOOP_CONF_DIR (or YARN_CONF_DIR); the application master runs the driver.
gostream-submit then follows the application (state changes, attempts, the
final status) until it ends, unless gostream.yarn.submit.waitAppCompletion is
false. Interrupting it stops the following, not the application. With
--deploy-mode client the driver runs here, as with a local master, and the
application master only launches the executors, which connect back to it
(gostream.driver.host names this machine for them); gostream-submit exits with
the driver's status.

Options:
%s
Configuration: each option above sets the key shown in parentheses. Later
sources win: built-in defaults < properties file < GOSTREAM_* environment
variables < --conf < the options above. --help-conf lists every key.

Exit status:
  0    the application finished successfully (on YARN: final status SUCCEEDED;
       or submitted, without waiting), --status or --kill succeeded, or help
       or the version was printed
  1    gostream-submit could not start the application, or (YARN) it ended
       FAILED or KILLED, or following it was interrupted
  2    bad command line, configuration or application (nothing was run)
  N    local master or client mode: the application's own exit status; 128+S
       if signal S killed it (client mode: also when a signal stopped its
       driver, which ends the YARN application KILLED; 1 when the driver
       exited 0 but the application did not end SUCCEEDED)

Examples:
  gostream-submit --master 'local[4]' ./examples/wordcount -duration 30s
  gostream-submit --master 'local[2]' --conf gostream.streaming.blockInterval=100ms ./myapp --port 9999
  HADOOP_CONF_DIR=/etc/hadoop gostream-submit --master yarn --deploy-mode cluster \
      --num-executors 2 --conf spark.yarn.maxAppAttempts=4 \
      --conf spark.yarn.am.attemptFailuresValidityInterval=1h ./myapp
  gostream-submit --status application_1700000000000_0001
  gostream-submit --kill application_1700000000000_0001
`, fs.FlagUsagesWrapped(100))
}
