package yarn_test

import (
	"testing"

	"github.com/gostream/gostream/internal/yarn"
)

func TestIDs(t *testing.T) {
	id, err := yarn.ParseApplicationID("application_1700000000000_12345")
	if err != nil || id.ID != 12345 || id.String() != "application_1700000000000_12345" {
		t.Fatalf("%v %v", id, err)
	}
	if _, err := yarn.ParseApplicationID("app_1_2"); err == nil {
		t.Error("bad id accepted")
	}
	for _, s := range []string{"container_1700000000000_0007_01_000001", "container_e17_1700000000000_0007_02_000003"} {
		c, err := yarn.ParseContainerID(s)
		if err != nil || c.String() != s {
			t.Errorf("%s: %v %v", s, c, err)
		}
		if back := yarn.ContainerIDFromProto(c.Proto()); back != c {
			t.Errorf("%s: proto round trip %v", s, back)
		}
	}
	c, _ := yarn.ParseContainerID("container_e17_1700000000000_0007_02_000003")
	if c.Attempt.Attempt != 2 || c.ID != 17<<40|3 {
		t.Errorf("%+v", c)
	}
}
