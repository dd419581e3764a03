package nodemanager

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gostream/gostream/internal/hadoop/hadooppb"
	"github.com/gostream/gostream/internal/hadoop/ipc"
	"github.com/gostream/gostream/internal/hadoop/security"
	"github.com/gostream/gostream/internal/hadoop/token"
	"github.com/gostream/gostream/internal/hadoop/yarnpb"
	"github.com/gostream/gostream/internal/yarn"
)

// Protocol is the NodeManager protocol.
const Protocol = "org.apache.hadoop.yarn.api.ContainerManagementProtocolPB"

// DefaultCallTimeout bounds a NodeManager call whose context has no deadline.
const DefaultCallTimeout = 30 * time.Second

// ErrContainerRefused: the NodeManager refused to start, stop or report a
// container (the message holds its exception).
var ErrContainerRefused = errors.New("the NodeManager refused the container request")

// Client talks to one NodeManager, authenticated with the NMToken the RM
// gave the application master for that node.
type Client struct {
	addr string
	rpc  *ipc.Client
}

// Options tune a Client.
type Options struct {
	DialTimeout, CallTimeout time.Duration // 0: defaults (10 s, DefaultCallTimeout)
	MaxRetries               int           // connection retries (0: ipc's default)
}

// Dial makes a client of the NodeManager at addr (host:port, the
// container's node id) authenticating with nmToken. It connects on the
// first call.
func Dial(addr string, nmToken token.Token, opts ...Options) (*Client, error) {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = DefaultCallTimeout
	}
	rpc, err := ipc.NewClient(ipc.Options{
		Addrs: []string{addr}, Protocol: Protocol,
		Auth:        security.Token(nmToken),
		DialTimeout: o.DialTimeout, CallTimeout: o.CallTimeout, MaxRetries: o.MaxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("NodeManager %s: %w", addr, err)
	}
	return &Client{addr: addr, rpc: rpc}, nil
}

// Addr is the NodeManager's address.
func (c *Client) Addr() string { return c.addr }

// SetToken replaces the NMToken for the connections made from now on (the
// RM sends a new one when it rolls its keys).
func (c *Client) SetToken(nmToken token.Token) { c.rpc.SetAuth(security.Token(nmToken)) }

// Close closes the connection.
func (c *Client) Close() error { return c.rpc.Close() }

// Start starts a container allocated by the RM (its container token comes
// with the allocation) with a launch context.
func (c *Client) Start(ctx context.Context, id yarn.ContainerID, containerToken *hadooppb.TokenProto, launch yarn.ContainerLaunchContext) error {
	lc, err := launch.Proto()
	if err != nil {
		return fmt.Errorf("start container %s on %s: %w", id, c.addr, err)
	}
	req := &yarnpb.StartContainersRequestProto{StartContainerRequest: []*yarnpb.StartContainerRequestProto{
		{ContainerLaunchContext: lc, ContainerToken: containerToken},
	}}
	var resp yarnpb.StartContainersResponseProto
	if err := c.rpc.Call(ctx, "startContainers", req, &resp); err != nil {
		return fmt.Errorf("start container %s on %s: %w", id, c.addr, err)
	}
	if err := failed(resp.GetFailedRequests(), id); err != nil {
		return fmt.Errorf("start container %s on %s: %w", id, c.addr, err)
	}
	return nil
}

// Stop stops a container.
func (c *Client) Stop(ctx context.Context, id yarn.ContainerID) error {
	req := &yarnpb.StopContainersRequestProto{ContainerId: []*yarnpb.ContainerIdProto{id.Proto()}}
	var resp yarnpb.StopContainersResponseProto
	if err := c.rpc.Call(ctx, "stopContainers", req, &resp, ipc.Idempotent()); err != nil {
		return fmt.Errorf("stop container %s on %s: %w", id, c.addr, err)
	}
	if err := failed(resp.GetFailedRequests(), id); err != nil {
		return fmt.Errorf("stop container %s on %s: %w", id, c.addr, err)
	}
	return nil
}

// Status reports a container's state.
func (c *Client) Status(ctx context.Context, id yarn.ContainerID) (yarn.ContainerStatus, error) {
	req := &yarnpb.GetContainerStatusesRequestProto{ContainerId: []*yarnpb.ContainerIdProto{id.Proto()}}
	var resp yarnpb.GetContainerStatusesResponseProto
	if err := c.rpc.Call(ctx, "getContainerStatuses", req, &resp, ipc.Idempotent()); err != nil {
		return yarn.ContainerStatus{}, fmt.Errorf("status of container %s on %s: %w", id, c.addr, err)
	}
	if err := failed(resp.GetFailedRequests(), id); err != nil {
		return yarn.ContainerStatus{}, fmt.Errorf("status of container %s on %s: %w", id, c.addr, err)
	}
	for _, s := range resp.GetStatus() {
		if yarn.ContainerIDFromProto(s.GetContainerId()) == id {
			return yarn.ContainerStatusFromProto(s), nil
		}
	}
	return yarn.ContainerStatus{}, fmt.Errorf("status of container %s on %s: not in the NodeManager's answer", id, c.addr)
}

// failed returns the NodeManager's exception for id, if any.
func failed(fails []*yarnpb.ContainerExceptionMapProto, id yarn.ContainerID) error {
	for _, f := range fails {
		if yarn.ContainerIDFromProto(f.GetContainerId()) != id {
			continue
		}
		e := f.GetException()
		return fmt.Errorf("%w: %s: %s", ErrContainerRefused, e.GetClassName(), e.GetMessage())
	}
	return nil
}
