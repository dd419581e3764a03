package testcluster

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
)

// HDFSAdmin runs Hadoop's `hdfs dfsadmin` (org.apache.hadoop.hdfs.tools.DFSAdmin)
// as the HDFS superuser with the cluster's client configuration, for example
// HDFSAdmin(ctx, "-safemode", "enter"). It starts a JVM: allow a few seconds.
func (c *Cluster) HDFSAdmin(ctx context.Context, args ...string) (string, error) {
	out, err := c.runner.java(ctx, c.HadoopConfDir, "org.apache.hadoop.hdfs.tools.DFSAdmin", args...)
	if err != nil {
		return out, fmt.Errorf("hdfs dfsadmin %s: %w", strings.Join(args, " "), err)
	}
	return out, nil
}

// SetSafeMode puts the NameNode into safe mode or takes it out.
func (c *Cluster) SetSafeMode(ctx context.Context, on bool) error {
	arg := "leave"
	if on {
		arg = "enter"
	}
	_, err := c.HDFSAdmin(ctx, "-safemode", arg)
	return err
}

func (r *dockerRunner) java(ctx context.Context, confDir, class string, args ...string) (string, error) {
	argv := append([]string{"exec", "-e", "HADOOP_USER_NAME=root", r.prefix + "nn",
		"java", "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", confDir + ":/opt/hadoop/lib/*", class}, args...)
	return run(ctx, "docker", argv...)
}

func (r *processRunner) java(ctx context.Context, confDir, class string, args ...string) (string, error) {
	argv := append([]string{"-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", confDir + ":" + filepath.Join(r.hadoopHome, "lib", "*"), class}, args...)
	return runEnv(ctx, []string{"HADOOP_USER_NAME=root"}, "java", argv...)
}
