package container

// Environment variables of gostream's YARN executor containers: the
// application master's launch context sets them, ExecutorConfigFromEnv
// reads them.
const (
	// EnvDriverAddress is the driver's executor endpoint (host:port).
	EnvDriverAddress = "GOSTREAM_DRIVER_ADDRESS"
	// EnvExecutorSecret is the per-application secret executors prove.
	EnvExecutorSecret = "GOSTREAM_EXECUTOR_SECRET"
	// EnvExecutorID is the executor's id (1, 2, …; replacements get new ids).
	EnvExecutorID = "GOSTREAM_EXECUTOR_ID"
	// EnvExecutorCores is the executor's number of cores.
	EnvExecutorCores = "GOSTREAM_EXECUTOR_CORES"
)
