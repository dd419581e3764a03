package yarn

import (
	"fmt"
	"regexp"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/gostream/gostream/internal/hadoop/yarnpb"
)

// ApplicationID identifies a YARN application: application_<ts>_<seq>.
type ApplicationID struct {
	ClusterTimestamp int64 // the RM's start time, ms
	ID               int32
}

// IsZero reports whether the id is unset.
func (a ApplicationID) IsZero() bool { return a == ApplicationID{} }

func (a ApplicationID) String() string {
	return fmt.Sprintf("application_%d_%04d", a.ClusterTimestamp, a.ID)
}

var appIDRE = regexp.MustCompile(`^application_(\d+)_(\d+)$`)

// ParseApplicationID parses application_<ts>_<seq>.
func ParseApplicationID(s string) (ApplicationID, error) {
	m := appIDRE.FindStringSubmatch(s)
	if m == nil {
		return ApplicationID{}, fmt.Errorf("bad application id %q: want application_<cluster timestamp>_<number>", s)
	}
	ts, err1 := strconv.ParseInt(m[1], 10, 64)
	id, err2 := strconv.ParseInt(m[2], 10, 32)
	if err1 != nil || err2 != nil {
		return ApplicationID{}, fmt.Errorf("bad application id %q: number out of range", s)
	}
	return ApplicationID{ClusterTimestamp: ts, ID: int32(id)}, nil
}

// Proto converts the id to its wire form.
func (a ApplicationID) Proto() *yarnpb.ApplicationIdProto {
	return &yarnpb.ApplicationIdProto{Id: proto.Int32(a.ID), ClusterTimestamp: proto.Int64(a.ClusterTimestamp)}
}

// ApplicationIDFromProto converts a wire id (nil gives the zero id).
func ApplicationIDFromProto(p *yarnpb.ApplicationIdProto) ApplicationID {
	return ApplicationID{ClusterTimestamp: p.GetClusterTimestamp(), ID: p.GetId()}
}

// AttemptID identifies an application attempt: appattempt_<ts>_<seq>_<n>.
type AttemptID struct {
	App     ApplicationID
	Attempt int32
}

// IsZero reports whether the id is unset.
func (a AttemptID) IsZero() bool { return a == AttemptID{} }

func (a AttemptID) String() string {
	return fmt.Sprintf("appattempt_%d_%04d_%06d", a.App.ClusterTimestamp, a.App.ID, a.Attempt)
}

// Proto converts the id to its wire form.
func (a AttemptID) Proto() *yarnpb.ApplicationAttemptIdProto {
	return &yarnpb.ApplicationAttemptIdProto{ApplicationId: a.App.Proto(), AttemptId: proto.Int32(a.Attempt)}
}

// AttemptIDFromProto converts a wire id (nil gives the zero id).
func AttemptIDFromProto(p *yarnpb.ApplicationAttemptIdProto) AttemptID {
	if p == nil {
		return AttemptID{}
	}
	return AttemptID{App: ApplicationIDFromProto(p.GetApplicationId()), Attempt: p.GetAttemptId()}
}

// ContainerID identifies a container:
// container_[e<epoch>_]<ts>_<seq>_<attempt>_<n>. ID holds the epoch in its
// bits 40 and up, as YARN does.
type ContainerID struct {
	Attempt AttemptID
	ID      int64
}

func (c ContainerID) String() string {
	epoch := c.ID >> 40
	seq := c.ID & (1<<40 - 1)
	prefix := "container_"
	if epoch > 0 {
		prefix += fmt.Sprintf("e%02d_", epoch)
	}
	return fmt.Sprintf("%s%d_%04d_%02d_%06d", prefix, c.Attempt.App.ClusterTimestamp, c.Attempt.App.ID, c.Attempt.Attempt, seq)
}

var containerIDRE = regexp.MustCompile(`^container_(?:e(\d+)_)?(\d+)_(\d+)_(\d+)_(\d+)$`)

// ParseContainerID parses a container id, such as the CONTAINER_ID a
// NodeManager gives every container.
func ParseContainerID(s string) (ContainerID, error) {
	m := containerIDRE.FindStringSubmatch(s)
	if m == nil {
		return ContainerID{}, fmt.Errorf("bad container id %q", s)
	}
	var epoch int64
	var err error
	if m[1] != "" {
		if epoch, err = strconv.ParseInt(m[1], 10, 24); err != nil {
			return ContainerID{}, fmt.Errorf("bad container id %q: epoch: %v", s, err)
		}
	}
	ts, e1 := strconv.ParseInt(m[2], 10, 64)
	app, e2 := strconv.ParseInt(m[3], 10, 32)
	att, e3 := strconv.ParseInt(m[4], 10, 32)
	seq, e4 := strconv.ParseInt(m[5], 10, 64)
	if e1 != nil || e2 != nil || e3 != nil || e4 != nil || seq >= 1<<40 {
		return ContainerID{}, fmt.Errorf("bad container id %q: number out of range", s)
	}
	return ContainerID{
		Attempt: AttemptID{App: ApplicationID{ClusterTimestamp: ts, ID: int32(app)}, Attempt: int32(att)},
		ID:      epoch<<40 | seq,
	}, nil
}

// Proto converts the id to its wire form.
func (c ContainerID) Proto() *yarnpb.ContainerIdProto {
	return &yarnpb.ContainerIdProto{AppId: c.Attempt.App.Proto(), AppAttemptId: c.Attempt.Proto(), Id: proto.Int64(c.ID)}
}

// ContainerIDFromProto converts a wire id.
func ContainerIDFromProto(p *yarnpb.ContainerIdProto) ContainerID {
	att := AttemptIDFromProto(p.GetAppAttemptId())
	if att.App.IsZero() {
		att.App = ApplicationIDFromProto(p.GetAppId())
	}
	return ContainerID{Attempt: att, ID: p.GetId()}
}
