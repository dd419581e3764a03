package conf

import "time"

// Names of the configuration keys. Use these constants rather than spelling
// the strings; every one of them is registered in the key table below.
const (
	// Application.
	Master             = "gostream.master"
	AppName            = "gostream.app.name"
	DeployMode         = "gostream.submit.deployMode"
	DefaultParallelism = "gostream.default.parallelism"
	Files              = "gostream.files"
	TaskMaxFailures    = "gostream.task.maxFailures"

	// Streaming.
	BlockInterval                 = "gostream.streaming.blockInterval"
	ReceiverMaxRate               = "gostream.streaming.receiver.maxRate"
	BlockQueueSize                = "gostream.streaming.blockQueueSize"
	ReceiverWALEnable             = "gostream.streaming.receiver.writeAheadLog.enable"
	ReceiverWALSkipDamaged        = "gostream.streaming.receiver.writeAheadLog.skipDamaged"
	ReceiverRestartDelay          = "gostream.streaming.receiverRestartDelay"
	ConcurrentJobs                = "gostream.streaming.concurrentJobs"
	OnBatchFailure                = "gostream.streaming.onBatchFailure"
	GracefulStopTimeout           = "gostream.streaming.gracefulStopTimeout"
	StopGracefullyOnShutdown      = "gostream.streaming.stopGracefullyOnShutdown"
	FileStreamMinRememberDuration = "gostream.streaming.fileStream.minRememberDuration"
	UIRetainedBatches             = "gostream.streaming.ui.retainedBatches"

	// Checkpoints and stopping.
	CheckpointDirectory     = "gostream.streaming.checkpoint.directory"
	CheckpointOnGraphChange = "gostream.streaming.checkpoint.onGraphChange"
	CheckpointRetained      = "gostream.streaming.checkpoint.retained"
	CheckpointLeaseTimeout  = "gostream.streaming.checkpoint.lease.timeout"
	CheckpointLeaseRenewal  = "gostream.streaming.checkpoint.lease.renewInterval"
	StopMarker              = "gostream.streaming.stopMarker"
	StopMarkerPollInterval  = "gostream.streaming.stopMarker.pollInterval"
	StorageRetryTimeout     = "gostream.hadoop.storageRetryTimeout"

	// Driver, executors and the network between them.
	NetworkTimeout                   = "gostream.network.timeout"
	ExecutorHeartbeatInterval        = "gostream.executor.heartbeatInterval"
	ExecutorInstances                = "gostream.executor.instances"
	ExecutorMemory                   = "gostream.executor.memory"
	ExecutorMemoryOverhead           = "gostream.executor.memoryOverhead"
	ExecutorCores                    = "gostream.executor.cores"
	ExecutorMaxNumFailures           = "gostream.executor.maxNumFailures"
	ExecutorFailuresValidityInterval = "gostream.executor.failuresValidityInterval"
	ExecutorEnv                      = "gostream.executorEnv" // a prefix: gostream.executorEnv.NAME
	DriverMemory                     = "gostream.driver.memory"
	DriverMemoryOverhead             = "gostream.driver.memoryOverhead"
	DriverCores                      = "gostream.driver.cores"
	DriverHost                       = "gostream.driver.host"

	// YARN.
	YarnMaxAppAttempts                     = "gostream.yarn.maxAppAttempts"
	YarnAMAttemptFailuresValidityInterval  = "gostream.yarn.am.attemptFailuresValidityInterval"
	YarnSubmitWaitAppCompletion            = "gostream.yarn.submit.waitAppCompletion"
	YarnReportInterval                     = "gostream.yarn.report.interval"
	YarnQueue                              = "gostream.yarn.queue"
	YarnStagingDir                         = "gostream.yarn.stagingDir"
	YarnPreserveStagingFiles               = "gostream.yarn.preserve.staging.files"
	YarnSubmitFileReplication              = "gostream.yarn.submit.file.replication"
	YarnTags                               = "gostream.yarn.tags"
	YarnPriority                           = "gostream.yarn.priority"
	YarnApplicationType                    = "gostream.yarn.applicationType"
	YarnSchedulerHeartbeatInterval         = "gostream.yarn.scheduler.heartbeat.interval-ms"
	YarnSchedulerInitialAllocationInterval = "gostream.yarn.scheduler.initial-allocation.interval"
	YarnAMMemory                           = "gostream.yarn.am.memory"
	YarnAMMemoryOverhead                   = "gostream.yarn.am.memoryOverhead"
	YarnAMCores                            = "gostream.yarn.am.cores"
	YarnAppMasterEnv                       = "gostream.yarn.appMasterEnv" // a prefix: gostream.yarn.appMasterEnv.NAME

	// Monitoring.
	UIEnabled      = "gostream.ui.enabled"
	UIPort         = "gostream.ui.port"
	PortMaxRetries = "gostream.port.maxRetries"

	// Security.
	KerberosPrincipal = "gostream.kerberos.principal"
	KerberosKeytab    = "gostream.kerberos.keytab"
)

// Values of the enum keys.
const (
	DeployModeClient  = "client"
	DeployModeCluster = "cluster"

	GraphChangeFail    = "fail"
	GraphChangeDiscard = "discard"

	BatchFailureStop     = "stop"
	BatchFailureContinue = "continue"
)

// kind is the type of a key's value.
type kind int

const (
	kindString   kind = iota
	kindInt           // a decimal integer
	kindBool          // true or false
	kindDuration      // a duration; Spark's forms and Go's
	kindSize          // a byte size such as 512m
	kindEnum          // one of key.enum
	kindList          // comma-separated strings
	kindMaster        // yarn, local, local[N], local[*]
)

const (
	kib = 1 << 10
	mib = 1 << 20
)

// key describes one configuration key. The table is built once and never
// modified.
type key struct {
	name string
	kind kind
	def  string // the default, in the form a user would write it
	doc  string // one line

	// spark lists the Spark names this key answers to: the current one first,
	// then older (deprecated) spellings Spark still accepts.
	spark []string

	// unit is, for durations, the unit of a bare number (0: only a bare 0 is
	// accepted) and, for sizes, the unit of a bare number in bytes.
	unit int64

	// min and max bound ints (the value), durations (nanoseconds) and sizes
	// (bytes). min applies unless noMin is set; max applies when non-zero.
	min, max int64
	noMin    bool

	enum     []string // kindEnum: accepted values, lower case
	nonEmpty bool     // kindString: the empty string is rejected

	// prefix marks a family of keys: name+"."+NAME for any environment
	// variable name NAME (and likewise for the Spark names).
	prefix bool

	// yarnOnly marks a key that has no effect with a local master.
	yarnOnly bool
}

// section groups keys for WriteHelp.
type section struct {
	title string
	keys  []key
}

func sp(names ...string) []string { return names }

var ms = int64(time.Millisecond)
var sec = int64(time.Second)

// sections is the registry: every key gostream knows, in help order.
var sections = []section{
	{"Application", []key{
		{name: Master, kind: kindMaster, def: "local[*]", spark: sp("spark.master"),
			doc: "where to run: yarn, local (one task slot), local[N] (N slots) or local[*] (one slot per CPU)"},
		{name: AppName, kind: kindString, def: "gostream", spark: sp("spark.app.name"), nonEmpty: true,
			doc: "application name shown by YARN and in logs"},
		{name: DeployMode, kind: kindEnum, def: DeployModeClient, spark: sp("spark.submit.deployMode"),
			enum: []string{DeployModeClient, DeployModeCluster},
			doc:  "with master yarn, where the driver runs: client (in gostream-submit) or cluster (in the YARN application master)"},
		{name: DefaultParallelism, kind: kindInt, def: "0", spark: sp("spark.default.parallelism"),
			doc: "default number of partitions of shuffles; 0 = the total number of task slots"},
		{name: Files, yarnOnly: true, kind: kindList, def: "", spark: sp("spark.files"),
			doc: "comma-separated files (local or hdfs://) copied into the working directory of the driver and of every executor"},
		{name: TaskMaxFailures, kind: kindInt, def: "4", min: 1, spark: sp("spark.task.maxFailures"),
			doc: "attempts of a task before its batch job fails (1 = no retry)"},
	}},
	{"Streaming", []key{
		{name: BlockInterval, kind: kindDuration, def: "200ms", unit: ms, min: ms,
			spark: sp("spark.streaming.blockInterval"),
			doc:   "how often a receiver cuts the records it received into a block; each block is one partition of the batch"},
		{name: ReceiverMaxRate, kind: kindInt, def: "0", spark: sp("spark.streaming.receiver.maxRate"),
			doc: "maximum records per second accepted by each receiver; 0 = unlimited"},
		{name: BlockQueueSize, kind: kindInt, def: "10", min: 1, spark: sp("spark.streaming.blockQueueSize"),
			doc: "finished blocks a receiver may hold before storing them; a full queue makes the receiver wait"},
		{name: ReceiverWALEnable, kind: kindBool, def: "false", spark: sp("spark.streaming.receiver.writeAheadLog.enable"),
			doc: "write received blocks to the write-ahead log under the checkpoint directory before acknowledging them (no loss of received data)"},
		{name: ReceiverWALSkipDamaged, kind: kindBool, def: "false",
			doc: "after a restart, skip the blocks of damaged write-ahead log segments (their records are lost; each skip is logged and reported with its record count) instead of stopping the application"},
		{name: ReceiverRestartDelay, kind: kindDuration, def: "2s", unit: ms, spark: sp("spark.streaming.receiverRestartDelay"),
			doc: "wait before restarting a receiver that stopped with an error"},
		{name: ConcurrentJobs, kind: kindInt, def: "1", min: 1, spark: sp("spark.streaming.concurrentJobs"),
			doc: "batch jobs that may run at once; above 1, batches may complete out of order"},
		{name: OnBatchFailure, kind: kindEnum, def: BatchFailureStop, enum: []string{BatchFailureStop, BatchFailureContinue},
			doc: "when a batch fails: stop (the context stops with the batch's error, which a restart from the checkpoint runs again) or continue (as Spark: the failure is logged and reported to listeners and the status page, its data is not processed again, the next batches run, and the context reports the first such error when it stops)"},
		{name: GracefulStopTimeout, kind: kindDuration, def: "0", unit: ms, spark: sp("spark.streaming.gracefulStopTimeout"),
			doc: "how long a graceful stop waits without progress: it processes everything received, as long as it takes, and gives up only when no batch completes for this long (the wait restarts at every completed batch); giving up is not a clean stop (the application fails, saying how many batches and records were left and whether the write-ahead log keeps them); 0 = 10 × the batch duration"},
		{name: StopGracefullyOnShutdown, kind: kindBool, def: "false", spark: sp("spark.streaming.stopGracefullyOnShutdown"),
			doc: "on SIGTERM or SIGINT, stop gracefully (process received data first) instead of at once"},
		{name: FileStreamMinRememberDuration, kind: kindDuration, def: "60s", unit: sec,
			spark: sp("spark.streaming.fileStream.minRememberDuration", "spark.streaming.minRememberDuration"),
			doc:   "how far back file streams look for new files, and how long they remember the files they processed"},
		{name: UIRetainedBatches, kind: kindInt, def: "1000", spark: sp("spark.streaming.ui.retainedBatches"),
			doc: "completed batches kept for status reports and metrics"},
	}},
	{"Checkpoints and stopping", []key{
		{name: CheckpointDirectory, kind: kindString, def: "",
			doc: "directory (hdfs:// URL or local path) for checkpoints and the receiver write-ahead log; empty = no checkpoints"},
		{name: CheckpointOnGraphChange, kind: kindEnum, def: GraphChangeFail, enum: []string{GraphChangeFail, GraphChangeDiscard},
			doc: "when the checkpoint was written by a different DStream graph: fail (refuse to start) or discard (start afresh, ignoring it)"},
		{name: CheckpointRetained, kind: kindInt, def: "10", min: 1,
			doc: "number of most recent checkpoints kept; older ones are deleted"},
		{name: CheckpointLeaseTimeout, kind: kindDuration, def: "180s", unit: sec, min: ms,
			doc: "a driver holds a lease on its checkpoint directory; another application may take over a lease not renewed this long (its driver is presumed dead); at least twice the renewal interval"},
		{name: CheckpointLeaseRenewal, kind: kindDuration, def: "10s", unit: sec, min: ms,
			doc: "how often a driver renews its lease on the checkpoint directory"},
		{name: StopMarker, kind: kindString, def: "",
			doc: "path of a marker file (usually on HDFS); when it disappears the driver stops gracefully; empty = no marker"},
		{name: StopMarkerPollInterval, kind: kindDuration, def: "5s", min: ms,
			doc: "how often the driver checks that the stop marker still exists"},
		{name: StorageRetryTimeout, kind: kindDuration, def: "3m", unit: sec,
			doc: "how long a call on HDFS (checkpoints, the write-ahead log, outputs, the stop marker, recovery) that fails for a transient reason (NameNode down, restarting, in safe mode or failing over; a DataNode unreachable) is retried before it fails; 0 = no retry"},
	}},
	{"Driver and executors", []key{
		{name: NetworkTimeout, kind: kindDuration, def: "120s", unit: sec, min: ms, spark: sp("spark.network.timeout"),
			doc: "default timeout of calls between driver and executors; an executor silent this long is lost"},
		{name: ExecutorHeartbeatInterval, yarnOnly: true, kind: kindDuration, def: "10s", unit: ms, min: ms, spark: sp("spark.executor.heartbeatInterval"),
			doc: "interval between an executor's heartbeats to the driver; must be less than gostream.network.timeout"},
		{name: ExecutorInstances, yarnOnly: true, kind: kindInt, def: "2", min: 1, spark: sp("spark.executor.instances"),
			doc: "number of executors requested from YARN"},
		{name: ExecutorMemory, yarnOnly: true, kind: kindSize, def: "1g", unit: mib, min: mib, spark: sp("spark.executor.memory"),
			doc: "memory of each executor process"},
		{name: ExecutorMemoryOverhead, yarnOnly: true, kind: kindSize, def: "0", unit: mib,
			spark: sp("spark.executor.memoryOverhead", "spark.yarn.executor.memoryOverhead"),
			doc:   "memory added to gostream.executor.memory in each executor's YARN container; 0 = max(384m, 10% of gostream.executor.memory)"},
		{name: ExecutorCores, yarnOnly: true, kind: kindInt, def: "1", min: 1, spark: sp("spark.executor.cores"),
			doc: "cores, and so task slots, of each executor"},
		{name: ExecutorMaxNumFailures, yarnOnly: true, kind: kindInt, def: "0",
			spark: sp("spark.executor.maxNumFailures", "spark.yarn.max.executor.failures", "spark.yarn.max.worker.failures"),
			doc:   "executor failures after which the application fails; 0 = max(2 × gostream.executor.instances, 3)"},
		{name: ExecutorFailuresValidityInterval, yarnOnly: true, kind: kindDuration, def: "0", unit: ms,
			spark: sp("spark.executor.failuresValidityInterval", "spark.yarn.executor.failuresValidityInterval"),
			doc:   "executor failures older than this no longer count towards gostream.executor.maxNumFailures; 0 = they always count"},
		{name: ExecutorEnv, yarnOnly: true, kind: kindString, prefix: true, spark: sp("spark.executorEnv"),
			doc: "gostream.executorEnv.NAME=value sets environment variable NAME in every executor"},
		{name: DriverMemory, kind: kindSize, def: "1g", unit: mib, min: mib, spark: sp("spark.driver.memory"),
			doc: "memory of the driver process (in cluster mode, of the application master)"},
		{name: DriverMemoryOverhead, yarnOnly: true, kind: kindSize, def: "0", unit: mib,
			spark: sp("spark.driver.memoryOverhead", "spark.yarn.driver.memoryOverhead"),
			doc:   "in cluster mode, memory added to gostream.driver.memory in the AM's YARN container; 0 = max(384m, 10% of gostream.driver.memory)"},
		{name: DriverCores, yarnOnly: true, kind: kindInt, def: "1", min: 1, spark: sp("spark.driver.cores"),
			doc: "cores of the driver (in cluster mode, of the application master's container)"},
		{name: DriverHost, yarnOnly: true, kind: kindString, def: "", spark: sp("spark.driver.host"),
			doc: "in --deploy-mode client, the host name or address executors reach the driver at; empty = this machine's host name"},
	}},
	{"YARN", []key{
		{name: YarnMaxAppAttempts, yarnOnly: true, kind: kindInt, def: "0", spark: sp("spark.yarn.maxAppAttempts"),
			doc: "application master attempts before the application fails; 0 = the RM's yarn.resourcemanager.am.max-attempts, which also caps it"},
		{name: YarnAMAttemptFailuresValidityInterval, yarnOnly: true, kind: kindDuration, def: "0", unit: ms,
			spark: sp("spark.yarn.am.attemptFailuresValidityInterval"),
			doc:   "AM attempt failures older than this no longer count towards gostream.yarn.maxAppAttempts; 0 = they always count"},
		{name: YarnSubmitWaitAppCompletion, yarnOnly: true, kind: kindBool, def: "true", spark: sp("spark.yarn.submit.waitAppCompletion"),
			doc: "in cluster mode, gostream-submit waits for the application to finish, reporting its state, instead of exiting once it is accepted"},
		{name: YarnReportInterval, yarnOnly: true, kind: kindDuration, def: "1s", unit: ms, min: ms, spark: sp("spark.yarn.report.interval"),
			doc: "how often gostream-submit polls the application's state while it waits"},
		{name: YarnQueue, yarnOnly: true, kind: kindString, def: "default", nonEmpty: true, spark: sp("spark.yarn.queue"),
			doc: "YARN queue the application is submitted to"},
		{name: YarnStagingDir, yarnOnly: true, kind: kindString, def: "", spark: sp("spark.yarn.stagingDir"),
			doc: "HDFS directory under which the application's files are uploaded; empty = the submitting user's home directory"},
		{name: YarnPreserveStagingFiles, yarnOnly: true, kind: kindBool, def: "false", spark: sp("spark.yarn.preserve.staging.files"),
			doc: "keep the uploaded files when the application ends instead of deleting them"},
		{name: YarnSubmitFileReplication, yarnOnly: true, kind: kindInt, def: "0", spark: sp("spark.yarn.submit.file.replication"),
			doc: "HDFS replication of the uploaded files; 0 = the cluster's dfs.replication"},
		{name: YarnTags, yarnOnly: true, kind: kindList, def: "", spark: sp("spark.yarn.tags"),
			doc: "comma-separated YARN application tags, for filtering application reports"},
		{name: YarnPriority, yarnOnly: true, kind: kindInt, def: "0", noMin: true, spark: sp("spark.yarn.priority"),
			doc: "YARN application priority (higher goes first, with schedulers that use priorities)"},
		{name: YarnApplicationType, yarnOnly: true, kind: kindString, def: "GOSTREAM", nonEmpty: true, spark: sp("spark.yarn.applicationType"),
			doc: "application type reported to YARN"},
		{name: YarnSchedulerHeartbeatInterval, yarnOnly: true, kind: kindDuration, def: "3s", unit: ms, min: ms,
			spark: sp("spark.yarn.scheduler.heartbeat.interval-ms"),
			doc:   "interval between the application master's allocate calls to the RM when no container request is pending"},
		{name: YarnSchedulerInitialAllocationInterval, yarnOnly: true, kind: kindDuration, def: "200ms", unit: ms, min: ms,
			spark: sp("spark.yarn.scheduler.initial-allocation.interval"),
			doc:   "first interval between allocate calls while container requests are pending; it doubles up to the heartbeat interval"},
		{name: YarnAMMemory, yarnOnly: true, kind: kindSize, def: "512m", unit: mib, min: mib, spark: sp("spark.yarn.am.memory"),
			doc: "in client mode, memory of the application master"},
		{name: YarnAMMemoryOverhead, yarnOnly: true, kind: kindSize, def: "0", unit: mib, spark: sp("spark.yarn.am.memoryOverhead"),
			doc: "in client mode, memory added to gostream.yarn.am.memory in the AM's container; 0 = max(384m, 10% of gostream.yarn.am.memory)"},
		{name: YarnAMCores, yarnOnly: true, kind: kindInt, def: "1", min: 1, spark: sp("spark.yarn.am.cores"),
			doc: "in client mode, cores of the application master"},
		{name: YarnAppMasterEnv, yarnOnly: true, kind: kindString, prefix: true, spark: sp("spark.yarn.appMasterEnv"),
			doc: "gostream.yarn.appMasterEnv.NAME=value sets environment variable NAME in the application master (the driver in cluster mode)"},
	}},
	{"Monitoring", []key{
		{name: UIEnabled, kind: kindBool, def: "true", spark: sp("spark.ui.enabled"),
			doc: "serve the driver's status page, its JSON (/json) and Prometheus metrics (/metrics) on gostream.ui.port when the driver runs outside YARN (on YARN the application master serves them at the tracking URL)"},
		{name: UIPort, kind: kindInt, def: "4040", max: 65535, spark: sp("spark.ui.port"),
			doc: "port of the driver's status page outside YARN; when it is taken the next ports are tried (gostream.port.maxRetries); 0 = any free port"},
		{name: PortMaxRetries, kind: kindInt, def: "16", spark: sp("spark.port.maxRetries"),
			doc: "how many ports after gostream.ui.port are tried when it is taken"},
	}},
	{"Security", []key{
		{name: KerberosPrincipal, kind: kindString, def: "", spark: sp("spark.kerberos.principal", "spark.yarn.principal"),
			doc: "Kerberos principal to log in as on a secure cluster; needs gostream.kerberos.keytab"},
		{name: KerberosKeytab, kind: kindString, def: "", spark: sp("spark.kerberos.keytab", "spark.yarn.keytab"),
			doc: "keytab of gostream.kerberos.principal (logins on a kerberized cluster; without both keys, the ticket cache of kinit)"},
	}},
}
