package hadoopconf

import (
	"fmt"
	"io/fs"
	"net"
	"strconv"
	"strings"
)

// HDFS client keys and the defaults gostream relies on.
const (
	KeyDefaultFS           = "fs.defaultFS"
	KeyDefaultFSDeprecated = "fs.default.name"
	KeyUseDatanodeHostname = "dfs.client.use.datanode.hostname"
	DefaultNameNodePort    = 8020
)

// DefaultFS returns fs.defaultFS (or the deprecated fs.default.name), ""
// when unset.
func (c *Conf) DefaultFS() string {
	return c.String(KeyDefaultFS, c.String(KeyDefaultFSDeprecated, ""))
}

// NameNodes resolves the authority of an hdfs:// URI to NameNode RPC
// addresses: an HA nameservice (dfs.ha.namenodes.NS and
// dfs.namenode.rpc-address.NS.NN), a federated nameservice
// (dfs.namenode.rpc-address.NS), or host[:port] (default port 8020). A
// malformed host:port matches fs.ErrInvalid, a bad configuration ErrConfig.
func (c *Conf) NameNodes(authority string) ([]string, error) {
	if authority == "" {
		return nil, fmt.Errorf("hdfs URI without a NameNode address (%w)", ErrConfig)
	}
	if ids, ok := c.Get("dfs.ha.namenodes." + authority); ok {
		var addrs []string
		for _, id := range strings.Split(ids, ",") {
			if id = strings.TrimSpace(id); id == "" {
				continue
			}
			key := "dfs.namenode.rpc-address." + authority + "." + id
			addr, ok := c.Get(key)
			if !ok {
				return nil, fmt.Errorf("nameservice %s: %s is not set in %s (%w)", authority, key, c.Describe(), ErrConfig)
			}
			addrs = append(addrs, addr)
		}
		if len(addrs) == 0 {
			return nil, fmt.Errorf("nameservice %s lists no NameNodes in %s (%w)", authority, c.Describe(), ErrConfig)
		}
		return addrs, nil
	}
	if addr, ok := c.Get("dfs.namenode.rpc-address." + authority); ok {
		return []string{addr}, nil
	}
	if _, _, err := net.SplitHostPort(authority); err != nil {
		if strings.Contains(authority, ":") && !strings.HasPrefix(authority, "[") {
			return nil, fmt.Errorf("bad NameNode address %q: %v (%w)", authority, err, fs.ErrInvalid)
		}
		return []string{net.JoinHostPort(strings.Trim(authority, "[]"), strconv.Itoa(DefaultNameNodePort))}, nil
	}
	return []string{authority}, nil
}

// UseDatanodeHostname is dfs.client.use.datanode.hostname: connect to
// DataNodes by host name rather than IP. Like Hadoop, anything but "true"
// is false.
func (c *Conf) UseDatanodeHostname() bool {
	return strings.EqualFold(c.String(KeyUseDatanodeHostname, "false"), "true")
}
