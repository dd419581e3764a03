package am

import (
	"strings"
	"testing"

	"github.com/gostream/gostream/internal/yarn"
)

// NodeManager diagnostics as Hadoop 3 and Hadoop 2 write them.
const (
	pmemDiag3 = "[2026-12-03 16:40:01.123]Container [pid=4242,containerID=container_1_0001_01_000002] is running 112197632B beyond the 'PHYSICAL' memory limit. " +
		"Current usage: 1.1 GB of 1 GB physical memory used; 3.4 GB of 2.1 GB virtual memory used. Killing container.\nDump of the process-tree for container_1_0001_01_000002 :\n" +
		"\t|- PID PPID PGRPID SESSID CMD_NAME USER_MODE_TIME(MILLIS) SYSTEM_TIME(MILLIS) VMEM_USAGE(BYTES) RSSMEM_USAGE(PAGES) FULL_CMD_LINE\n" +
		"[2026-12-03 16:40:01.200]Container killed on request. Exit code is 143\n[2026-12-03 16:40:01.201]Container exited with a non-zero exit code 143. \n"
	vmemDiag2 = "Container [pid=12948,containerID=container_e50_1448390541096_0017_01_000054] is running beyond virtual memory limits. " +
		"Current usage: 517.7 MB of 1 GB physical memory used; 2.2 GB of 2.1 GB virtual memory used. Killing container."
)

func TestExitReason(t *testing.T) {
	for _, c := range []struct {
		name   string
		status int32
		diag   string
		want   []string
	}{
		{"physical memory, Hadoop 3", exitKilledExceededPMem, pmemDiag3,
			[]string{"killed by YARN for exceeding its physical memory (1.1 GB of 1 GB used)", "raise --executor-memory", "gostream.executor.memoryOverhead", "spark.executor.memoryOverhead"}},
		{"virtual memory, Hadoop 2", exitKilledExceededVMem, vmemDiag2,
			[]string{"killed by YARN for exceeding its virtual memory (2.2 GB of 2.1 GB used)", "raise --executor-memory", "yarn.nodemanager.vmem-pmem-ratio"}},
		{"physical memory, no figures", exitKilledExceededPMem, "killed",
			[]string{"killed by YARN for exceeding its physical memory: raise --executor-memory"}},
		{"preempted", exitPreempted, "Container preempted by scheduler", []string{"preempted by YARN"}},
		{"node lost", exitAborted, "Container released on a *lost* node", []string{"lost with its node"}},
		{"released", exitAborted, "Container released by application", []string{"aborted by YARN"}},
		{"disks", exitDisksFailed, "", []string{"node's disks failed"}},
		{"by the AM", exitKilledByAppMaster, "", []string{"stopped by the application master"}},
		{"by the RM", exitKilledByRM, "", []string{"killed by the ResourceManager"}},
		{"excess logs", exitKilledForExcessLogs, "", []string{"too many logs"}},
		{"other YARN status", -1000, "", []string{"ended with YARN exit status -1000"}},
		{"code 1", 1, "Exception from container-launch", []string{"exited with code 1"}},
		{"SIGKILL", 137, "", []string{"exited with code 137 (killed by SIGKILL)"}},
		{"success", exitSuccess, "", []string{"exited with code 0"}},
	} {
		got := exitReason(yarn.ContainerStatus{ExitStatus: c.status, Diagnostics: c.diag})
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", c.name, got, w)
			}
		}
		if c.status != exitKilledExceededPMem && c.status != exitKilledExceededVMem && strings.Contains(got, "memory") {
			t.Errorf("%s: %q speaks of memory", c.name, got)
		}
	}
}
