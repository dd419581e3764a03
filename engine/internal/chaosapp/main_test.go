package main

import (
	"os"
	"testing"
)

// TestMain keeps a developer's HADOOP_CONF_DIR or YARN_CONF_DIR from sending
// the chaos runs' local checkpoint and input paths to the cluster's
// fs.defaultFS.
func TestMain(m *testing.M) {
	os.Unsetenv("HADOOP_CONF_DIR")
	os.Unsetenv("YARN_CONF_DIR")
	os.Exit(m.Run())
}
