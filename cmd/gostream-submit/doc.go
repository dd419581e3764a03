// Command gostream-submit runs a gostream streaming application, taking the
// flags of Spark's spark-submit:
//
//	gostream-submit [options] APP [app arguments]
//
// APP is the application's binary, or a directory holding a Go main package,
// which gostream-submit builds first with "go build" into a temporary
// directory. Everything after APP is passed to the application unchanged.
//
// Options that set configuration keys (--master, --deploy-mode, --name,
// --num-executors, --executor-memory, --executor-cores, --driver-memory,
// --driver-cores, --queue, --files, --principal, --keytab) and --conf
// KEY=VALUE join the configuration layers of package conf. Later layers
// win: built-in defaults < properties file (--properties-file, or
// conf/gostream-defaults.yaml when it exists; YAML, or Spark's
// spark-defaults.conf format for a *.conf or *.properties file, or a file
// whose content is not a YAML mapping) < GOSTREAM_* environment variables <
// --conf < the options that set keys. Every value is checked by
// conf; a rejected one is reported against the flag, file line or variable
// it came from. --help-conf lists every key, --verbose shows the resolved
// settings and the command run. On a kerberized cluster --principal and
// --keytab (or the ticket cache) log in for --status, --kill and a local
// master's HDFS; submitting to a kerberized YARN is refused before anything
// is submitted (delegation tokens are not obtained yet).
//
// With a local master (local, local[N], local[*]) the application runs as a
// child process in the driver role (GOSTREAM_ROLE=driver) with the resolved
// configuration in its environment (conf.Conf.Environ, which engine.Main
// loads back). SIGINT and SIGTERM are forwarded to it, and gostream-submit
// exits with its exit status (128+S if signal S killed it). An explicitly
// set driver memory becomes the application's GOMEMLIMIT. The executor
// settings, --queue, --driver-cores and --files only matter on YARN (local
// files listed with --files are checked to exist): gostream-submit warns, in
// one line on stderr, about such flags and --conf keys given with a local
// master. A GOSTREAM_* variable that names no key (other than those of
// internal/procenv) gets a warning with the nearest key's variable.
//
// With --master yarn --deploy-mode cluster the application binary (built
// without cgo when gostream-submit builds it), --files and the Hadoop site
// files are uploaded to the staging directory
// <gostream.yarn.stagingDir or /user/USER>/.gostreamStaging/<appId> on HDFS
// (0700, files 0600), and the application is submitted to the
// ResourceManager named by HADOOP_CONF_DIR or YARN_CONF_DIR, with the AM
// container sized by --driver-memory (+ overhead) and --driver-cores,
// maxAppAttempts and the attempt-failures validity interval. The
// application id is printed on stdout. Unless
// gostream.yarn.submit.waitAppCompletion=false, gostream-submit then follows
// the application's state changes and attempts on stderr until it ends; a
// signal stops the following, not the application. --status APP_ID prints
// an application's report, --kill APP_ID kills it (and removes its staging
// directory). With --deploy-mode client the driver runs in gostream-submit's
// child process, as with a local master (its exit status is
// gostream-submit's), its receivers on executors that an application master
// (sized by gostream.yarn.am.memory and .cores) launches and that connect
// back to gostream.driver.host; the driver tells the AM how it ended, and the
// application ends as it did (SUCCEEDED only when it stopped by itself, where
// Spark calls any end of the driver a success).
//
// Exit status: 0 success (or help, --help-conf, --version; on YARN: the
// application ended SUCCEEDED, or was submitted without waiting); 1 the
// application could not be started, or on YARN it ended otherwise; 2 bad
// command line, configuration or application, nothing was run; with a local
// master or in client mode, otherwise the application's own status (in
// client mode 1 also when it is 0 but YARN recorded no success).
package main
