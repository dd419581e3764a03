package hdfsstore

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/user"
	"path"
	"strings"

	"github.com/colinmarc/hdfs/v2/hadoopconf"
)

// DefaultNameNodePort is the NameNode RPC port used when an hdfs:// URI names
// a host without a port.
const DefaultNameNodePort = "8020"

// hadoopConf is the part of a Hadoop client configuration (core-site.xml,
// hdfs-site.xml in HADOOP_CONF_DIR) that the HDFS FS reads.
type hadoopConf struct {
	dir   string            // where it was read from, for messages
	props map[string]string // nil when there is no configuration
}

// loadHadoopConf reads core-site.xml and hdfs-site.xml from dir. An empty dir
// means no configuration (not an error); a dir that does not exist is one.
func loadHadoopConf(dir string) (hadoopConf, error) {
	if dir == "" {
		return hadoopConf{}, nil
	}
	st, err := os.Stat(dir)
	if err != nil {
		return hadoopConf{}, fmt.Errorf("HADOOP_CONF_DIR=%s: %w (%w)", dir, err, ErrConfig)
	}
	if !st.IsDir() {
		return hadoopConf{}, fmt.Errorf("HADOOP_CONF_DIR=%s is not a directory (%w)", dir, ErrConfig)
	}
	props, err := hadoopconf.Load(dir)
	if err != nil {
		return hadoopConf{}, fmt.Errorf("read Hadoop configuration in %s: %v (%w)", dir, err, ErrConfig)
	}
	return hadoopConf{dir: dir, props: props}, nil
}

// defaultFS returns fs.defaultFS (or the deprecated fs.default.name), "" when unset.
func (c hadoopConf) defaultFS() string {
	if v := strings.TrimSpace(c.props["fs.defaultFS"]); v != "" {
		return v
	}
	return strings.TrimSpace(c.props["fs.default.name"])
}

// namenodes resolves the authority of an hdfs:// URI to NameNode RPC
// addresses: an HA nameservice (dfs.ha.namenodes.NS and
// dfs.namenode.rpc-address.NS.NN), a federated nameservice
// (dfs.namenode.rpc-address.NS), or host[:port].
func (c hadoopConf) namenodes(authority string) ([]string, error) {
	if authority == "" {
		return nil, fmt.Errorf("hdfs URI without a NameNode address (%w)", ErrConfig)
	}
	if ids := strings.TrimSpace(c.props["dfs.ha.namenodes."+authority]); ids != "" {
		var addrs []string
		for _, id := range strings.Split(ids, ",") {
			id = strings.TrimSpace(id)
			if id == "" {
				continue
			}
			key := "dfs.namenode.rpc-address." + authority + "." + id
			addr := strings.TrimSpace(c.props[key])
			if addr == "" {
				return nil, fmt.Errorf("nameservice %s: %s is not set in %s (%w)", authority, key, c.dir, ErrConfig)
			}
			addrs = append(addrs, addr)
		}
		if len(addrs) == 0 {
			return nil, fmt.Errorf("nameservice %s lists no NameNodes in %s (%w)", authority, c.dir, ErrConfig)
		}
		return addrs, nil
	}
	if addr := strings.TrimSpace(c.props["dfs.namenode.rpc-address."+authority]); addr != "" {
		return []string{addr}, nil
	}
	if _, _, err := net.SplitHostPort(authority); err != nil {
		if strings.Contains(authority, ":") && !strings.HasPrefix(authority, "[") {
			return nil, fmt.Errorf("bad NameNode address %q: %v (%w)", authority, err, fs.ErrInvalid)
		}
		return []string{net.JoinHostPort(strings.Trim(authority, "[]"), DefaultNameNodePort)}, nil
	}
	return []string{authority}, nil
}

// kerberos reports whether the configuration asks for Kerberos.
func (c hadoopConf) kerberos() bool {
	return strings.EqualFold(strings.TrimSpace(c.props["hadoop.security.authentication"]), "kerberos")
}

// useDatanodeHostname is dfs.client.use.datanode.hostname.
func (c hadoopConf) useDatanodeHostname() bool {
	return strings.EqualFold(strings.TrimSpace(c.props["dfs.client.use.datanode.hostname"]), "true")
}

// parseHDFSURI splits hdfs://authority/path. The path is cleaned and absolute.
func parseHDFSURI(p string) (authority, name string, err error) {
	u, err := url.Parse(p)
	if err != nil {
		return "", "", fmt.Errorf("bad file system URI %q: %v (%w)", p, err, fs.ErrInvalid)
	}
	if u.Scheme != "hdfs" {
		return "", "", fmt.Errorf("%q is not an hdfs:// URI (%w)", p, fs.ErrInvalid)
	}
	if u.Opaque != "" {
		return "", "", fmt.Errorf("bad hdfs URI %q: want hdfs://namenode:port/path (%w)", p, fs.ErrInvalid)
	}
	name = cleanAbs(u.Path)
	return u.Host, name, nil
}

// cleanAbs makes a slash path absolute and clean ("" is "/").
func cleanAbs(p string) string { return path.Clean("/" + p) }

// hdfsUser is the user HDFS calls act as: HADOOP_USER_NAME, else the OS user.
func hdfsUser() (string, error) {
	if u := strings.TrimSpace(os.Getenv("HADOOP_USER_NAME")); u != "" {
		return u, nil
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username, nil
	}
	if u := os.Getenv("USER"); u != "" {
		return u, nil
	}
	return "", errors.New("no HDFS user: set HADOOP_USER_NAME")
}
