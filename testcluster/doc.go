// Package testcluster gives integration tests (build tag `integration`) a real
// Hadoop 3.4 cluster on this host: HDFS (one NameNode, one DataNode) and YARN
// (one ResourceManager, two NodeManagers), all on 127.0.0.1, sized for a
// 2-core machine and configured to notice failures in seconds.
//
// scripts/testcluster.sh runs the cluster (up, down, status, env, kill, start);
// testcluster/build-image.sh builds what it runs. See README.md beside this
// file for the ports, the configuration and the Java 17 flags.
//
// # Getting a cluster
//
// Get returns the cluster, reusing one that is already up (for example one
// that `scripts/testcluster.sh up` started) or bringing one up through the
// script. It is memoized per test binary: the package's only mutable state is
// the once-guarded result of that first call, so every test in a binary sees
// the same *Cluster, and `go test ./...` binaries running in parallel share the
// same cluster (the script serializes up/down with a lock file). Get never
// tears the cluster down; `scripts/testcluster.sh down` does.
//
// When no cluster can be had (no docker engine and the fallback runner failed
// too, no java, ...) Get fails the test if CI=true or TESTCLUSTER_REQUIRE=1,
// and otherwise skips it with a loud notice on stderr. It never passes
// silently.
//
// # Runners
//
// Two runners start the same daemons with the same jars and configuration:
// "docker" (one container per daemon, host networking, from a locally built
// image) and "process" (host java processes; the fallback where no docker
// engine can run). The script picks one and reports it; Cluster.Runner says
// which is in use. Fault injection works the same on both:
//
//   - KillDaemon / StartDaemon / RestartDaemon: SIGKILL a daemon and start it
//     again with the same ports and directories. Killing a NodeManager takes
//     its YARN containers with it, like a lost node; killing the DataNode
//     makes its blocks unavailable until it is back.
//   - KillContainer: SIGKILL every process of one YARN container (an AM or an
//     executor) by container id, on whichever NodeManager runs it.
//   - FreezeContainer, ThawContainer: SIGSTOP and SIGCONT the same
//     processes (a hung process, or a machine that stops answering).
//   - ContainerLogs: the files (stdout, stderr, ...) that an application's
//     containers wrote to their NodeManagers' log directories, which are kept
//     ten minutes after the containers end.
//
// Fault injection changes the shared cluster: a test that kills a daemon
// must start it again (t.Cleanup) and wait for readiness (WaitReady), so that
// the tests after it find a whole cluster.
package testcluster
