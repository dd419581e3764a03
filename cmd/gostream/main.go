// Command gostream is the operator's tool for running gostream applications
// on YARN: the file operations the start and stop scripts need on HDFS (or
// the local file system), and an application's status, end and kill. It
// reads the cluster's configuration from HADOOP_CONF_DIR (or YARN_CONF_DIR)
// and the user from HADOOP_USER_NAME, so operators need no Hadoop client.
//
//	gostream fs exists PATH         exit 0 when PATH exists, 1 when it does not
//	gostream fs touch PATH          create PATH, empty, unless it exists
//	gostream fs create PATH [TEXT]  create PATH holding TEXT; exit 1 if it exists
//	gostream fs put PATH TEXT       replace PATH's contents with TEXT (atomically)
//	gostream fs cat PATH            print PATH
//	gostream fs rm PATH             remove PATH; exit 1 if it did not exist
//	gostream app status APP_ID      the RM's report and, while it runs, the
//	                                driver's last completed batch and its delays
//	gostream app wait [-timeout D] APP_ID
//	                                wait until the application ends; exit 0 if
//	                                it ended SUCCEEDED, 1 otherwise, 124 on timeout
//	gostream app kill APP_ID        kill it and remove its staging directory
//
// PATH is an hdfs:// URL, a file:// URL or a plain path (on fs.defaultFS).
//
// Exit status: 0 yes/success; 1 no (see above); 2 usage; 3 an error (the
// cluster or the file system could not do it); 124 timeout.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
}
