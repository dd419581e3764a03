package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gostream/gostream/internal/hadoop/ipc"
	"github.com/gostream/gostream/internal/hadoop/security"
	"github.com/gostream/gostream/internal/hadoopconf"
	"github.com/gostream/gostream/internal/yarn"
)

// ProtocolApplicationClient is the RM protocol the client speaks.
const ProtocolApplicationClient = "org.apache.hadoop.yarn.api.ApplicationClientProtocolPB"

// ApplicationType is the application type gostream submits with.
const ApplicationType = "GOSTREAM"

// Options tune a Client. The zero value is usable.
type Options struct {
	// User is the user applications run as; "" means HADOOP_USER_NAME, else
	// the OS user (security.CurrentUser).
	User string
	// Addrs overrides the RM addresses of the configuration.
	Addrs []string
	// DialTimeout and CallTimeout bound connecting and each call without a
	// context deadline (defaults: 10 s and 1 min).
	DialTimeout, CallTimeout time.Duration
	// MaxRetries bounds the retries after connection failures (default 5).
	MaxRetries int
	// Credentials log in to a kerberized cluster (a principal and its
	// keytab); empty means the ticket cache. Close ends the login.
	Credentials security.Credentials
}

// Client is a YARN ResourceManager client.
type Client struct {
	rpc   *ipc.Client
	conf  *hadoopconf.Conf
	user  string
	login security.Login
}

// New connects to the ResourceManager named by conf
// (yarn.resourcemanager.address, or the RM HA ids) and checks that it
// answers, within ctx. conf nil means the configuration of HADOOP_CONF_DIR
// and YARN_CONF_DIR. The connection authenticates as security.NewLogin
// decides: on a kerberized cluster, with Options.Credentials or the ticket
// cache (security.ErrKerberosRequired without either).
func New(ctx context.Context, conf *hadoopconf.Conf, opts ...Options) (*Client, error) {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if conf == nil {
		var err error
		if conf, err = hadoopconf.LoadFromEnv(); err != nil {
			return nil, opErr("connect", yarn.ApplicationID{}, err)
		}
	}
	login, err := security.NewLogin(conf, o.User, o.Credentials)
	if err != nil {
		return nil, opErr("connect", yarn.ApplicationID{}, err)
	}
	ipcUser, auth, err := login.IPC(conf, security.KeyResourceManagerPrincipal)
	if err != nil {
		login.Close()
		return nil, opErr("connect", yarn.ApplicationID{}, err)
	}
	addrs := o.Addrs
	if len(addrs) == 0 {
		if addrs, err = conf.RMAddresses(); err != nil {
			login.Close()
			return nil, opErr("connect", yarn.ApplicationID{}, err)
		}
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = time.Minute
	}
	rpc, err := ipc.NewClient(ipc.Options{
		Addrs: addrs, Protocol: ProtocolApplicationClient, User: ipcUser, Auth: auth,
		DialTimeout: o.DialTimeout, CallTimeout: o.CallTimeout, MaxRetries: o.MaxRetries,
	})
	if err != nil {
		login.Close()
		return nil, opErr("connect", yarn.ApplicationID{}, err)
	}
	c := &Client{rpc: rpc, conf: conf, user: login.User, login: login}
	if _, err := c.ClusterMetrics(ctx); err != nil {
		c.Close()
		var e *Error
		if errors.As(err, &e) {
			e.Op = fmt.Sprintf("connect to the ResourceManager at %s (from %s)", strings.Join(addrs, ","), conf.Describe())
			return nil, e
		}
		return nil, err
	}
	return c, nil
}

// User is the user the client acts as.
func (c *Client) User() string { return c.user }

// Conf is the Hadoop configuration the client was made with.
func (c *Client) Conf() *hadoopconf.Conf { return c.conf }

// Close releases the connection.
func (c *Client) Close() error {
	err := c.rpc.Close()
	c.login.Close()
	return err
}

// call makes one ApplicationClientProtocol call. Every method of that
// protocol gostream uses is idempotent in Hadoop's sense (the RM dedupes
// submissions by application id), so all are retried on connection loss.
func (c *Client) call(ctx context.Context, method string, req, resp proto.Message) error {
	return c.rpc.Call(ctx, method, req, resp, ipc.Idempotent())
}
