// Package hadoopconf reads a Hadoop client configuration: the site files
// core-site.xml, hdfs-site.xml and yarn-site.xml from HADOOP_CONF_DIR and
// YARN_CONF_DIR, with Hadoop's ${name} substitution, plus the YARN defaults
// gostream needs (yarn-default.xml is not shipped, so the defaults it would
// supply — RM ports 8032, 8030, 8088, am.max-attempts 2 — are built in).
//
// A file name is taken from the first directory that has it, as Hadoop's
// classpath lookup would; a missing site file is not an error, a malformed
// one is (ErrConfig). A Conf is immutable once loaded and safe for concurrent
// use.
//
// hdfsstore reads core-site.xml and hdfs-site.xml on its own (through
// colinmarc/hdfs's hadoopconf); this package is the one for YARN and for
// anything that needs yarn-site.xml.
package hadoopconf
