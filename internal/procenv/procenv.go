// Package procenv is the environment contract between gostream's processes:
// every variable gostream-submit, the YARN application master, the driver
// and the executors set for one another, with what it means. The value of
// each name here is the contract; who sets and who reads it is noted.
//
// Not here: the configuration's GOSTREAM_* variables (conf.Conf.Environ, the
// resolved configuration handed to a child), and Hadoop's and YARN's own
// variables (HADOOP_CONF_DIR, HADOOP_USER_NAME, CONTAINER_ID, NM_HOST,
// HADOOP_TOKEN_FILE_LOCATION, ...), which are read where they are used.
// Vars lists the variables here, so that the configuration's loader, which
// reads GOSTREAM_* variables too, does not take them for misspelled keys.
package procenv

// The role a gostream binary plays: set by gostream-submit (the driver), the
// AM's launch context (the AM) and the executors' (executors); read by
// gostream.Main and engine.Main.
const (
	Role         = "GOSTREAM_ROLE" // one of the values below; unset means RoleDriver
	RoleDriver   = "driver"        // the driver with a local master
	RoleAM       = "am"            // the YARN application master, running the driver
	RoleExecutor = "executor"      // a YARN executor
)

// gostream-submit → the application master.
const (
	// StagingDir is the application's staging directory (an hdfs:// URL),
	// which the AM removes when it unregisters.
	StagingDir = "GOSTREAM_YARN_STAGING_DIR"
	// App is the link name of the application binary among the AM's local
	// resources.
	App = "GOSTREAM_YARN_APP"
	// Resources is the local resources executors need (link name →
	// yarn.LocalResource), as base64 of their JSON: the NodeManager writes
	// variables into a shell script between double quotes, unescaped.
	Resources = "GOSTREAM_YARN_RESOURCES"
	// ClientDriver is the address of the client-mode driver's executor
	// endpoint: set, the AM runs no driver and only launches executors for
	// that one (whose secret is ExecutorSecret).
	ClientDriver = "GOSTREAM_YARN_CLIENT_DRIVER"
)

// The driver's side → executors (through their launch context) and, in
// client mode, gostream-submit → the AM and the driver it runs.
const (
	// DriverAddress is the driver's executor endpoint (host:port).
	DriverAddress = "GOSTREAM_DRIVER_ADDRESS"
	// ExecutorSecret is the per-application secret executors prove to the
	// driver, as gostream-submit hands it to its client-mode driver. YARN
	// containers get it in their credentials instead (am.ContainerSecret):
	// the NodeManager writes their environment into a script it keeps
	// with their logs.
	ExecutorSecret = "GOSTREAM_EXECUTOR_SECRET"
	// ExecutorID is the executor's id (1, 2, …; replacements get new ids).
	ExecutorID = "GOSTREAM_EXECUTOR_ID"
	// ExecutorCores is the executor's number of cores. It is also the
	// configuration's variable of gostream.executor.cores, with the same
	// value.
	ExecutorCores = "GOSTREAM_EXECUTOR_CORES"
	// DriverListenFD is the file descriptor of the listening socket
	// gostream-submit passes to a client-mode driver (it needs the address
	// before the driver starts, to give it to the AM).
	DriverListenFD = "GOSTREAM_DRIVER_LISTEN_FD"
)

// The operator → gostream's scripts (scripts/gostream-common.sh), and so
// the environment of the gostream-submit they run.
const (
	// Bin is the directory holding the gostream and gostream-submit
	// binaries the scripts run.
	Bin = "GOSTREAM_BIN"
)

// Vars returns every variable of the contract.
func Vars() []string {
	return []string{Role, StagingDir, App, Resources, ClientDriver,
		DriverAddress, ExecutorSecret, ExecutorID, ExecutorCores, DriverListenFD, Bin}
}
