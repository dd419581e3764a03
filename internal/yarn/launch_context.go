package yarn

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/gostream/gostream/internal/hadoop/yarnpb"
)

// ErrInvalidRecord: a record cannot be put on the wire as it is (a
// resource URL that is not absolute, a local resource without its size and
// modification time).
var ErrInvalidRecord = errors.New("invalid YARN record")

// ResourceType says how a NodeManager localizes a resource.
type ResourceType int32

const (
	// File is copied as is (the default).
	File ResourceType = ResourceType(yarnpb.LocalResourceTypeProto_FILE)
	// Archive is unpacked.
	Archive ResourceType = ResourceType(yarnpb.LocalResourceTypeProto_ARCHIVE)
)

// Visibility says who may share a localized resource.
type Visibility int32

const (
	// VisibilityApplication: shared by the application's containers (the
	// default).
	VisibilityApplication Visibility = Visibility(yarnpb.LocalResourceVisibilityProto_APPLICATION)
	// VisibilityPrivate: shared by the user's applications.
	VisibilityPrivate Visibility = Visibility(yarnpb.LocalResourceVisibilityProto_PRIVATE)
	// VisibilityPublic: shared by everyone on the node.
	VisibilityPublic Visibility = Visibility(yarnpb.LocalResourceVisibilityProto_PUBLIC)
)

// LocalResource is a file a NodeManager copies into a container's working
// directory before starting it. Size and Timestamp must be the file's
// length and modification time (ms) as the file system reports them: the
// NodeManager refuses a file that changed since.
type LocalResource struct {
	URL        string // hdfs://namenode:port/path
	Size       int64
	Timestamp  int64
	Type       ResourceType // 0 means File
	Visibility Visibility   // 0 means VisibilityApplication
}

// ContainerLaunchContext is what a container runs: its local resources (by
// link name in the working directory), environment, command lines and
// credentials.
type ContainerLaunchContext struct {
	LocalResources map[string]LocalResource
	Environment    map[string]string
	// Commands are run by a shell; YARN replaces <LOG_DIR> with the
	// container's log directory, so `1><LOG_DIR>/stdout` captures output.
	Commands []string
	// Tokens are Hadoop credentials (token.Credentials.Marshal), handed to
	// the container as the file in HADOOP_TOKEN_FILE_LOCATION. Optional.
	Tokens []byte
}

// Proto converts the launch context to its wire form, sorting map entries
// so the encoding is deterministic.
func (l ContainerLaunchContext) Proto() (*yarnpb.ContainerLaunchContextProto, error) {
	p := &yarnpb.ContainerLaunchContextProto{Command: append([]string(nil), l.Commands...)}
	if l.Tokens != nil {
		p.Tokens = append([]byte{}, l.Tokens...)
	}
	for _, name := range slices.Sorted(maps.Keys(l.LocalResources)) {
		r := l.LocalResources[name]
		rp, err := r.proto()
		if err != nil {
			return nil, fmt.Errorf("local resource %s: %w", name, err)
		}
		p.LocalResources = append(p.LocalResources, &yarnpb.StringLocalResourceMapProto{Key: proto.String(name), Value: rp})
	}
	for _, k := range slices.Sorted(maps.Keys(l.Environment)) {
		p.Environment = append(p.Environment, &yarnpb.StringStringMapProto{Key: proto.String(k), Value: proto.String(l.Environment[k])})
	}
	return p, nil
}

func (r LocalResource) proto() (*yarnpb.LocalResourceProto, error) {
	u, err := URLProto(r.URL)
	if err != nil {
		return nil, err
	}
	typ, vis := r.Type, r.Visibility
	if typ == 0 {
		typ = File
	}
	if vis == 0 {
		vis = VisibilityApplication
	}
	if r.Size < 0 || r.Timestamp <= 0 {
		return nil, fmt.Errorf("%s: size %d and timestamp %d must be the file's length and modification time (%w)", r.URL, r.Size, r.Timestamp, ErrInvalidRecord)
	}
	return &yarnpb.LocalResourceProto{
		Resource: u, Size: proto.Int64(r.Size), Timestamp: proto.Int64(r.Timestamp),
		Type:       yarnpb.LocalResourceTypeProto(typ).Enum(),
		Visibility: yarnpb.LocalResourceVisibilityProto(vis).Enum(),
	}, nil
}

// URLProto converts a URL such as hdfs://nn:8020/path to YARN's URL record
// (scheme, host, port, file). A URL without a port gets port -1, as
// YARN's URL.fromURI does.
func URLProto(s string) (*yarnpb.URLProto, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("bad resource URL %q: %v (%w)", s, err, ErrInvalidRecord)
	}
	if u.Scheme == "" || u.Path == "" {
		return nil, fmt.Errorf("bad resource URL %q: want scheme://host:port/path (%w)", s, ErrInvalidRecord)
	}
	p := &yarnpb.URLProto{Scheme: proto.String(u.Scheme), File: proto.String(u.Path), Port: proto.Int32(-1)}
	if u.Host != "" {
		host, port := u.Hostname(), u.Port()
		p.Host = proto.String(host)
		if port != "" {
			n, err := strconv.Atoi(port)
			if err != nil || n <= 0 || n > 65535 {
				return nil, fmt.Errorf("bad resource URL %q: port (%w)", s, ErrInvalidRecord)
			}
			p.Port = proto.Int32(int32(n))
		}
	}
	if u.User != nil {
		p.UserInfo = proto.String(u.User.String())
	}
	return p, nil
}

// URLString converts YARN's URL record back to a URL.
func URLString(p *yarnpb.URLProto) string {
	host := p.GetHost()
	if p.GetPort() > 0 {
		host = net.JoinHostPort(host, strconv.Itoa(int(p.GetPort())))
	}
	u := url.URL{Scheme: p.GetScheme(), Host: host, Path: p.GetFile()}
	return u.String()
}
