// Package hadoopconf is gostream's one reader of a Hadoop client
// configuration: the site files core-site.xml, hdfs-site.xml and
// yarn-site.xml from HADOOP_CONF_DIR and YARN_CONF_DIR, with Hadoop's ${name}
// and ${env.NAME} substitution, and the accessors the YARN client, the
// application master, the executors and hdfsstore need (RM addresses with
// HA, am.max-attempts, fs.defaultFS, the NameNodes of a nameservice,
// dfs.client.use.datanode.hostname, hadoop.security.authentication). The
// *-default.xml files are not shipped, so the defaults gostream relies on
// (RM ports 8032, 8030, 8088, am.max-attempts 2, NameNode port 8020) are
// built in.
//
// A file name is taken from the first directory that has it, as Hadoop's
// classpath lookup would; a missing site file is not an error, a malformed
// one is (ErrConfig, which every error about a bad configuration wraps).
// Messages say where the configuration came from (Describe): the site files
// read or, when there are none, the directories and the variables that
// named them (LoadEnv), so that a HADOOP_CONF_DIR pointing at the wrong
// directory is told apart from one that is not set. A Conf is immutable
// once loaded and safe for concurrent use.
package hadoopconf
