package engine_test

import (
	"os"
	"testing"
)

// TestMain keeps a developer's HADOOP_CONF_DIR or YARN_CONF_DIR (exported
// to reach the test cluster) from sending these tests' plain local paths to
// its fs.defaultFS, as it would send an application's (Spark's rule).
func TestMain(m *testing.M) {
	os.Unsetenv("HADOOP_CONF_DIR")
	os.Unsetenv("YARN_CONF_DIR")
	os.Exit(m.Run())
}
