package yarn_test

import (
	"errors"
	"testing"

	"github.com/gostream/gostream/internal/hadoop/yarnpb"
	"github.com/gostream/gostream/internal/yarn"
)

func TestURLProto(t *testing.T) {
	p, err := yarn.URLProto("hdfs://nn.example:8020/a/b c")
	if err != nil || p.GetHost() != "nn.example" || p.GetPort() != 8020 || p.GetFile() != "/a/b c" {
		t.Fatalf("%v %v", p, err)
	}
	if got := yarn.URLString(p); got != "hdfs://nn.example:8020/a/b%20c" {
		t.Errorf("round trip %q", got)
	}
	if p, _ := yarn.URLProto("hdfs://nn/x"); p.GetPort() != -1 {
		t.Errorf("port %d, want -1", p.GetPort())
	}
	if _, err := yarn.URLProto("relative/path"); !errors.Is(err, yarn.ErrInvalidRecord) {
		t.Errorf("relative URL: %v, want ErrInvalidRecord", err)
	}
}

func TestLaunchContextProto(t *testing.T) {
	lc := yarn.ContainerLaunchContext{
		LocalResources: map[string]yarn.LocalResource{
			"b": {URL: "hdfs://nn:8020/s/b", Size: 2, Timestamp: 1},
			"a": {URL: "hdfs://nn:8020/s/a", Size: 1, Timestamp: 1, Visibility: yarn.VisibilityPrivate},
		},
		Environment: map[string]string{"Z": "1", "A": "2"},
		Commands:    []string{"./a"},
	}
	p, err := lc.Proto()
	if err != nil {
		t.Fatal(err)
	}
	res, env := p.GetLocalResources(), p.GetEnvironment()
	if res[0].GetKey() != "a" || res[1].GetKey() != "b" || env[0].GetKey() != "A" || env[1].GetKey() != "Z" {
		t.Errorf("entries not sorted: %v %v", res, env)
	}
	if res[0].GetValue().GetVisibility() != yarnpb.LocalResourceVisibilityProto_PRIVATE ||
		res[1].GetValue().GetVisibility() != yarnpb.LocalResourceVisibilityProto_APPLICATION ||
		res[1].GetValue().GetType() != yarnpb.LocalResourceTypeProto_FILE {
		t.Errorf("visibility and type defaults: %v", res)
	}
	lc.LocalResources["c"] = yarn.LocalResource{URL: "hdfs://nn/c", Size: 1}
	if _, err := lc.Proto(); !errors.Is(err, yarn.ErrInvalidRecord) {
		t.Errorf("a resource without a timestamp: %v, want ErrInvalidRecord", err)
	}
}
