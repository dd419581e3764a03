package am

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/gostream/gostream/internal/yarn"
)

// More YARN container exit statuses (ContainerExitStatus), told apart only
// to say why an executor ended.
const (
	exitDisksFailed          = -101
	exitKilledExceededVMem   = -103
	exitKilledExceededPMem   = -104
	exitKilledAfterAppDone   = -107
	exitKilledByContainerSch = -108
	exitKilledForExcessLogs  = -109
)

// memoryUsage finds the NodeManager's "Current usage: 1.1 GB of 1 GB
// physical memory used; 2.5 GB of 2.1 GB virtual memory used" (the same in
// Hadoop 2 and 3).
var memoryUsage = regexp.MustCompile(`Current usage: (\S+ ?[KMGTPE]?B) of (\S+ ?[KMGTPE]?B) physical memory used; (\S+ ?[KMGTPE]?B) of (\S+ ?[KMGTPE]?B) virtual memory used`)

// raiseMemory is what to change when an executor outgrows its container.
const raiseMemory = "raise --executor-memory (gostream.executor.memory) or gostream.executor.memoryOverhead (spark.executor.memoryOverhead)"

// exitReason says in words why an executor's container ended, from its
// exit status and the NodeManager's diagnostics; for a kill for memory it
// gives the usage and limit and the key to raise.
func exitReason(s yarn.ContainerStatus) string {
	switch code := s.ExitStatus; code {
	case exitSuccess:
		return "exited with code 0"
	case exitKilledExceededPMem:
		return "killed by YARN for exceeding its physical memory" + usage(s.Diagnostics, 1) + ": " + raiseMemory
	case exitKilledExceededVMem:
		return "killed by YARN for exceeding its virtual memory" + usage(s.Diagnostics, 3) + ": " + raiseMemory +
			", or ask the cluster's operators for a higher yarn.nodemanager.vmem-pmem-ratio"
	case exitPreempted:
		return "preempted by YARN (its resources went to another application)"
	case exitAborted:
		if strings.Contains(s.Diagnostics, "*lost* node") { // SchedulerUtils.LOST_CONTAINER
			return "lost with its node (the NodeManager stopped answering the ResourceManager)"
		}
		return "aborted by YARN (released, or its node was lost)"
	case exitDisksFailed:
		return "failed because its node's disks failed"
	case exitKilledByAppMaster:
		return "stopped by the application master"
	case exitKilledByRM:
		return "killed by the ResourceManager"
	case exitKilledAfterAppDone:
		return "killed because the application had completed"
	case exitKilledByContainerSch:
		return "killed by the NodeManager's container scheduler"
	case exitKilledForExcessLogs:
		return "killed by YARN for writing too many logs"
	case 137, 143:
		return fmt.Sprintf("exited with code %d (killed by %s)", code, map[int32]string{137: "SIGKILL", 143: "SIGTERM"}[code])
	default:
		if code < 0 {
			return fmt.Sprintf("ended with YARN exit status %d", code)
		}
		return fmt.Sprintf("exited with code %d", code)
	}
}

// usage is " (X of Y used)" from the diagnostics' memory figures (first:
// 1 physical, 3 virtual), or "" when they are not there.
func usage(diag string, first int) string {
	m := memoryUsage.FindStringSubmatch(diag)
	if m == nil {
		return ""
	}
	return fmt.Sprintf(" (%s of %s used)", m[first], m[first+1])
}
