package conf

import "strings"

// unsupportedGroup lists Spark configuration keys that gostream does not
// support, with the reason shown to the user. A name ending in "." stands for
// every key under that prefix.
type unsupportedGroup struct {
	reason string
	names  []string
}

var unsupported = []unsupportedGroup{
	{"gostream runs Go binaries, not a JVM or Python", []string{
		"spark.driver.extraJavaOptions", "spark.driver.extraClassPath", "spark.driver.extraLibraryPath",
		"spark.executor.extraJavaOptions", "spark.executor.extraClassPath", "spark.executor.extraLibraryPath",
		"spark.driver.userClassPathFirst", "spark.executor.userClassPathFirst",
		"spark.yarn.am.extraJavaOptions", "spark.yarn.am.extraLibraryPath", "spark.yarn.user.classpath.first",
		"spark.jars", "spark.jars.", "spark.yarn.jars", "spark.yarn.archive", "spark.yarn.dist.jars",
		"spark.submit.pyFiles", "spark.pyspark.", "spark.executor.pyspark.memory", "spark.r.",
		"spark.yarn.populateHadoopClasspath",
		"spark.serializer", "spark.kryo.", "spark.kryoserializer.",
		"spark.memory.", "spark.executor.memoryOverheadFactor", "spark.driver.memoryOverheadFactor",
		"spark.yarn.am.memoryOverheadFactor",
	}},
	{"gostream runs only on YARN or locally (gostream.master=yarn or local[N])", []string{
		"spark.kubernetes.", "spark.mesos.", "spark.deploy.", "spark.standalone.", "spark.cores.max",
		"spark.driver.supervise",
	}},
	{"gostream has no SQL, Structured Streaming, event log or history server; of the web UI's settings it has spark.ui.enabled and spark.ui.port, and its metrics are Prometheus' /metrics, without Spark's metrics sinks", []string{
		"spark.sql.", "spark.ui.", "spark.eventLog.", "spark.history.", "spark.yarn.historyServer.",
		"spark.streaming.ui.enabled", "spark.metrics.", "spark.yarn.metrics.", "spark.logConf", "spark.log.",
	}},
	{"gostream does not scale the number of executors dynamically; set gostream.executor.instances", []string{
		"spark.dynamicAllocation.", "spark.streaming.dynamicAllocation.", "spark.shuffle.service.",
	}},
	{"gostream has no backpressure yet; limit receivers with gostream.streaming.receiver.maxRate", []string{
		"spark.streaming.backpressure.",
	}},
	{"gostream has no Kafka or Kinesis direct streams", []string{
		"spark.streaming.kafka.", "spark.streaming.kinesis.",
	}},
	{"gostream's write-ahead log writes one closed segment file per block and is not configurable", []string{
		"spark.streaming.receiver.writeAheadLog.", "spark.streaming.driver.writeAheadLog.",
	}},
	{"gostream does not support this Spark scheduling or storage feature", []string{
		"spark.speculation", "spark.speculation.", "spark.locality.wait", "spark.locality.wait.",
		"spark.scheduler.", "spark.task.cpus", "spark.task.resource.", "spark.executor.resource.",
		"spark.driver.resource.", "spark.yarn.executor.resource.", "spark.yarn.driver.resource.",
		"spark.yarn.am.resource.", "spark.resources.", "spark.excludeOnFailure.", "spark.blacklist.",
		"spark.yarn.executor.launch.", "spark.yarn.blacklist.", "spark.yarn.exclude.nodes",
		"spark.shuffle.", "spark.reducer.", "spark.io.", "spark.rdd.", "spark.broadcast.", "spark.storage.",
		"spark.cleaner.", "spark.checkpoint.", "spark.local.dir", "spark.files.", "spark.archives",
		"spark.yarn.dist.files", "spark.yarn.dist.archives", "spark.yarn.dist.",
		"spark.streaming.unpersist", "spark.streaming.stopSparkContextByDefault", "spark.streaming.clock",
		"spark.streaming.manualClock.", "spark.streaming.sessionByKey.", "spark.streaming.blockManager.",
		"spark.executor.heartbeat.", "spark.executor.logs.", "spark.executor.processTreeMetrics.",
		"spark.executor.decommission.", "spark.decommission.", "spark.driver.maxResultSize",
		"spark.driver.port", "spark.driver.bindAddress", "spark.driver.blockManager.",
		"spark.blockManager.", "spark.rpc.", "spark.network.timeoutInterval",
		"spark.network.io.", "spark.network.maxRemoteBlockSizeFetchToMem", "spark.executor.id",
		"spark.yarn.am.port", "spark.yarn.am.waitTime", "spark.yarn.containerLauncherMaxThreads",
		"spark.yarn.am.nodeLabelExpression", "spark.yarn.executor.nodeLabelExpression",
		"spark.yarn.scheduler.reporterThread.", "spark.yarn.services", "spark.yarn.config.",
		"spark.yarn.rolledLog.", "spark.yarn.unmanagedAM.", "spark.yarn.shuffle.",
		"spark.yarn.am.clientModeTreatDisconnectAsFailed", "spark.yarn.am.clientModeExitOnError",
		"spark.yarn.clientLaunchMonitorInterval", "spark.yarn.report.loggingFrequency",
		"spark.yarn.includeDriverLogsLink", "spark.yarn.am.tokenConfRegex",
		"spark.executor.allowSparkContext", "spark.driver.log.", "spark.extraListeners",
	}},
	{"gostream authenticates with a Kerberos keytab only (gostream.kerberos.principal, gostream.kerberos.keytab)", []string{
		"spark.kerberos.", "spark.yarn.kerberos.", "spark.yarn.access.", "spark.yarn.credentials.",
		"spark.security.", "spark.authenticate", "spark.authenticate.", "spark.network.crypto.",
		"spark.io.encryption.", "spark.ssl.", "spark.acls.", "spark.admin.acls", "spark.modify.acls",
		"spark.ui.view.acls", "spark.user.groups.",
	}},
	{"gostream reads Hadoop settings from the site files in HADOOP_CONF_DIR and YARN_CONF_DIR", []string{
		"spark.hadoop.", "spark.hadoopRDD.",
	}},
}

// unsupportedReason reports whether name is a Spark key gostream does not
// support, and why. exact tells whether name is listed itself rather than
// matched by a prefix. Keys gostream supports (through a Spark alias) are
// resolved before this is called, so a prefix listed here never hides one.
func unsupportedReason(name string) (reason string, exact, ok bool) {
	if !strings.HasPrefix(name, "spark.") {
		return "", false, false
	}
	for _, g := range unsupported {
		for _, n := range g.names {
			if n == name {
				return g.reason, true, true
			}
			if strings.HasSuffix(n, ".") && strings.HasPrefix(name, n) {
				reason, ok = g.reason, true
			}
		}
	}
	return reason, false, ok
}
