package client

import (
	"context"
	"net"
	"strconv"
	"time"

	"github.com/gostream/gostream/internal/hadoop/yarnpb"
	"github.com/gostream/gostream/internal/yarn"
)

// NodeReport describes one NodeManager.
type NodeReport struct {
	ID            string // host:port, the NodeManager's RPC address
	HTTPAddress   string
	Rack          string
	State         yarn.NodeState
	Used          yarn.Resource
	Capability    yarn.Resource
	NumContainers int32
	HealthReport  string
	LastHealthy   time.Time
}

// ClusterNodes lists the NodeManagers in the given states (all states when
// none are given).
func (c *Client) ClusterNodes(ctx context.Context, states ...yarn.NodeState) ([]NodeReport, error) {
	req := &yarnpb.GetClusterNodesRequestProto{}
	if len(states) == 0 {
		for v := range yarnpb.NodeStateProto_name {
			states = append(states, yarn.NodeState(v))
		}
	}
	for _, s := range states {
		req.NodeStates = append(req.NodeStates, yarnpb.NodeStateProto(s))
	}
	var resp yarnpb.GetClusterNodesResponseProto
	if err := c.call(ctx, "getClusterNodes", req, &resp); err != nil {
		return nil, opErr("cluster nodes", yarn.ApplicationID{}, err)
	}
	nodes := make([]NodeReport, 0, len(resp.GetNodeReports()))
	for _, p := range resp.GetNodeReports() {
		n := NodeReport{
			ID:          net.JoinHostPort(p.GetNodeId().GetHost(), strconv.Itoa(int(p.GetNodeId().GetPort()))),
			HTTPAddress: p.GetHttpAddress(), Rack: p.GetRackName(), State: yarn.NodeState(p.GetNodeState()),
			Used: yarn.ResourceFromProto(p.GetUsed()), Capability: yarn.ResourceFromProto(p.GetCapability()),
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
		return ClusterMetrics{}, opErr("cluster metrics", yarn.ApplicationID{}, err)
	}
	m := resp.GetClusterMetrics()
	return ClusterMetrics{
		NodeManagers: m.GetNumNodeManagers(), Active: m.GetNumActiveNms(), Lost: m.GetNumLostNms(),
		Unhealthy: m.GetNumUnhealthyNms(), Decommissioned: m.GetNumDecommissionedNms(), Rebooted: m.GetNumRebootedNms(),
	}, nil
}
