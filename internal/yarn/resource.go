package yarn

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/gostream/gostream/internal/hadoop/yarnpb"
)

// Resource is an amount of memory and virtual cores.
type Resource struct {
	MemoryMB int64
	VCores   int32
}

func (r Resource) String() string { return fmt.Sprintf("%d MB, %d vcores", r.MemoryMB, r.VCores) }

// Proto converts the resource to its wire form.
func (r Resource) Proto() *yarnpb.ResourceProto {
	return &yarnpb.ResourceProto{Memory: proto.Int64(r.MemoryMB), VirtualCores: proto.Int32(r.VCores)}
}

// ResourceFromProto converts a wire resource.
func ResourceFromProto(p *yarnpb.ResourceProto) Resource {
	return Resource{MemoryMB: p.GetMemory(), VCores: p.GetVirtualCores()}
}
