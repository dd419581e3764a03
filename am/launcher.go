package am

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"

	"github.com/gostream/gostream/internal/hadoop/token"
	"github.com/gostream/gostream/internal/hadoop/yarnpb"
	"github.com/gostream/gostream/internal/yarn"
	"github.com/gostream/gostream/internal/yarn/nodemanager"
)

// Launcher starts executors in allocated containers; tests fake it.
type Launcher interface {
	// UpdateTokens records the NMTokens of an allocate response.
	UpdateTokens(tokens []*yarnpb.NMTokenProto)
	// Launch starts executor id in container c.
	Launch(ctx context.Context, c *yarnpb.ContainerProto, id string) error
	// Stop stops container id on the NodeManager at node (host:port).
	Stop(ctx context.Context, id yarn.ContainerID, node string) error
	// Status is container id's status on the NodeManager at node.
	Status(ctx context.Context, id yarn.ContainerID, node string) (yarn.ContainerStatus, error)
	Close() error
}

// nmLauncher launches executors through their NodeManagers.
type nmLauncher struct {
	spec executorSpec

	mu      sync.Mutex
	tokens  map[string]token.Token // by node address
	clients map[string]*nodemanager.Client
}

func newNMLauncher(spec executorSpec) *nmLauncher {
	return &nmLauncher{spec: spec, tokens: map[string]token.Token{}, clients: map[string]*nodemanager.Client{}}
}

func nodeAddr(n *yarnpb.NodeIdProto) string {
	return net.JoinHostPort(n.GetHost(), strconv.Itoa(int(n.GetPort())))
}

func (l *nmLauncher) UpdateTokens(ts []*yarnpb.NMTokenProto) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, t := range ts {
		addr := nodeAddr(t.GetNodeId())
		tok := token.FromProto(t.GetToken())
		l.tokens[addr] = tok
		if c := l.clients[addr]; c != nil {
			c.SetToken(tok)
		}
	}
}

func (l *nmLauncher) client(addr string) (*nodemanager.Client, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c := l.clients[addr]; c != nil {
		return c, nil
	}
	tok, ok := l.tokens[addr]
	if !ok {
		return nil, fmt.Errorf("no NMToken for NodeManager %s (the RM sends one with the node's first container)", addr)
	}
	c, err := nodemanager.Dial(addr, tok)
	if err != nil {
		return nil, err
	}
	l.clients[addr] = c
	return c, nil
}

func (l *nmLauncher) Launch(ctx context.Context, c *yarnpb.ContainerProto, id string) error {
	nm, err := l.client(nodeAddr(c.GetNodeId()))
	if err != nil {
		return fmt.Errorf("launch executor %s: %w", id, err)
	}
	lc, err := l.spec.launchContext(id)
	if err != nil {
		return err
	}
	return nm.Start(ctx, yarn.ContainerIDFromProto(c.GetId()), c.GetContainerToken(), lc)
}

func (l *nmLauncher) Stop(ctx context.Context, id yarn.ContainerID, node string) error {
	nm, err := l.client(node)
	if err != nil {
		return fmt.Errorf("stop container %s: %w", id, err)
	}
	return nm.Stop(ctx, id)
}

func (l *nmLauncher) Status(ctx context.Context, id yarn.ContainerID, node string) (yarn.ContainerStatus, error) {
	nm, err := l.client(node)
	if err != nil {
		return yarn.ContainerStatus{}, fmt.Errorf("status of container %s: %w", id, err)
	}
	return nm.Status(ctx, id)
}

func (l *nmLauncher) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.clients {
		c.Close()
	}
	clear(l.clients)
	return nil
}
