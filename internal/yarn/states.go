package yarn

import (
	"fmt"
	"strings"

	"github.com/gostream/gostream/internal/hadoop/yarnpb"
)

// ApplicationState is an application's YARN state.
type ApplicationState int32

// Application states.
const (
	StateNew       = ApplicationState(yarnpb.YarnApplicationStateProto_NEW)
	StateNewSaving = ApplicationState(yarnpb.YarnApplicationStateProto_NEW_SAVING)
	StateSubmitted = ApplicationState(yarnpb.YarnApplicationStateProto_SUBMITTED)
	StateAccepted  = ApplicationState(yarnpb.YarnApplicationStateProto_ACCEPTED)
	StateRunning   = ApplicationState(yarnpb.YarnApplicationStateProto_RUNNING)
	StateFinished  = ApplicationState(yarnpb.YarnApplicationStateProto_FINISHED)
	StateFailed    = ApplicationState(yarnpb.YarnApplicationStateProto_FAILED)
	StateKilled    = ApplicationState(yarnpb.YarnApplicationStateProto_KILLED)
)

func (s ApplicationState) String() string {
	if n, ok := yarnpb.YarnApplicationStateProto_name[int32(s)]; ok {
		return n
	}
	return fmt.Sprintf("State(%d)", int32(s))
}

// Terminal reports whether the application has ended.
func (s ApplicationState) Terminal() bool {
	return s == StateFinished || s == StateFailed || s == StateKilled
}

// FinalStatus is the outcome an application reported (or YARN decided).
type FinalStatus int32

// Final statuses.
const (
	FinalUndefined = FinalStatus(yarnpb.FinalApplicationStatusProto_APP_UNDEFINED)
	FinalSucceeded = FinalStatus(yarnpb.FinalApplicationStatusProto_APP_SUCCEEDED)
	FinalFailed    = FinalStatus(yarnpb.FinalApplicationStatusProto_APP_FAILED)
	FinalKilled    = FinalStatus(yarnpb.FinalApplicationStatusProto_APP_KILLED)
	FinalEnded     = FinalStatus(yarnpb.FinalApplicationStatusProto_APP_ENDED)
)

func (f FinalStatus) String() string {
	switch f {
	case FinalUndefined:
		return "UNDEFINED"
	case FinalSucceeded:
		return "SUCCEEDED"
	case FinalFailed:
		return "FAILED"
	case FinalKilled:
		return "KILLED"
	case FinalEnded:
		return "ENDED"
	}
	return fmt.Sprintf("FinalStatus(%d)", int32(f))
}

// Proto converts the status to its wire form.
func (f FinalStatus) Proto() *yarnpb.FinalApplicationStatusProto {
	return yarnpb.FinalApplicationStatusProto(f).Enum()
}

// NodeState is a NodeManager's state as the RM sees it.
type NodeState int32

// Node states.
const (
	NodeNew             = NodeState(yarnpb.NodeStateProto_NS_NEW)
	NodeRunning         = NodeState(yarnpb.NodeStateProto_NS_RUNNING)
	NodeUnhealthy       = NodeState(yarnpb.NodeStateProto_NS_UNHEALTHY)
	NodeDecommissioned  = NodeState(yarnpb.NodeStateProto_NS_DECOMMISSIONED)
	NodeLost            = NodeState(yarnpb.NodeStateProto_NS_LOST)
	NodeRebooted        = NodeState(yarnpb.NodeStateProto_NS_REBOOTED)
	NodeDecommissioning = NodeState(yarnpb.NodeStateProto_NS_DECOMMISSIONING)
	NodeShutdown        = NodeState(yarnpb.NodeStateProto_NS_SHUTDOWN)
)

func (s NodeState) String() string {
	if n, ok := yarnpb.NodeStateProto_name[int32(s)]; ok {
		return n[len("NS_"):]
	}
	return fmt.Sprintf("NodeState(%d)", int32(s))
}

// ContainerStatus is a container's state as its NodeManager or the RM
// reports it.
type ContainerStatus struct {
	ID          ContainerID
	State       string // NEW, RUNNING, COMPLETE
	ExitStatus  int32  // -1000 until complete
	Diagnostics string
}

// ContainerStatusFromProto converts a wire container status.
func ContainerStatusFromProto(s *yarnpb.ContainerStatusProto) ContainerStatus {
	return ContainerStatus{
		ID: ContainerIDFromProto(s.GetContainerId()), State: strings.TrimPrefix(s.GetState().String(), "C_"),
		ExitStatus: s.GetExitStatus(), Diagnostics: s.GetDiagnostics(),
	}
}
