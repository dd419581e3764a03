package client

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/gostream/gostream/internal/hadoop/yarnpb"
)

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

// NodeReport describes one NodeManager.
type NodeReport struct {
	ID            string // host:port, the NodeManager's RPC address
	HTTPAddress   string
	Rack          string
	State         NodeState
	Used          Resource
	Capability    Resource
	NumContainers int32
	HealthReport  string
	LastHealthy   time.Time
}

// ClusterNodes lists the NodeManagers in the given states (all states when
// none are given).
func (c *Client) ClusterNodes(ctx context.Context, states ...NodeState) ([]NodeReport, error) {
	req := &yarnpb.GetClusterNodesRequestProto{}
	if len(states) == 0 {
		for v := range yarnpb.NodeStateProto_name {
			states = append(states, NodeState(v))
		}
	}
	for _, s := range states {
		req.NodeStates = append(req.NodeStates, yarnpb.NodeStateProto(s))
	}
	var resp yarnpb.GetClusterNodesResponseProto
	if err := c.call(ctx, "getClusterNodes", req, &resp); err != nil {
		return nil, opErr("cluster nodes", ApplicationID{}, err)
	}
	nodes := make([]NodeReport, 0, len(resp.GetNodeReports()))
	for _, p := range resp.GetNodeReports() {
		n := NodeReport{
			ID:          net.JoinHostPort(p.GetNodeId().GetHost(), strconv.Itoa(int(p.GetNodeId().GetPort()))),
			HTTPAddress: p.GetHttpAddress(), Rack: p.GetRackName(), State: NodeState(p.GetNodeState()),
			Used: ResourceFromProto(p.GetUsed()), Capability: ResourceFromProto(p.GetCapability()),
			NumContainers: p.GetNumContainers(), HealthReport: p.GetHealthReport(),
		}
		if t := p.GetLastHealthReportTime(); t > 0 {
			n.LastHealthy = time.UnixMilli(t)
		}
		nodes = append(nodes, n)
	}
	return nodes, nil
}

// ClusterMetrics are the RM's NodeManager counts.
type ClusterMetrics struct {
	NodeManagers, Active, Lost, Unhealthy, Decommissioned, Rebooted int32
}

// ClusterMetrics returns the RM's cluster metrics.
func (c *Client) ClusterMetrics(ctx context.Context) (ClusterMetrics, error) {
	var resp yarnpb.GetClusterMetricsResponseProto
	if err := c.call(ctx, "getClusterMetrics", &yarnpb.GetClusterMetricsRequestProto{}, &resp); err != nil {
		return ClusterMetrics{}, opErr("cluster metrics", ApplicationID{}, err)
	}
	m := resp.GetClusterMetrics()
	return ClusterMetrics{
		NodeManagers: m.GetNumNodeManagers(), Active: m.GetNumActiveNms(), Lost: m.GetNumLostNms(),
		Unhealthy: m.GetNumUnhealthyNms(), Decommissioned: m.GetNumDecommissionedNms(), Rebooted: m.GetNumRebootedNms(),
	}, nil
}
