package token

import (
	"encoding/base64"
	"fmt"

	"github.com/gostream/gostream/internal/hadoop/hadooppb"
)

// Well-known token kinds.
const (
	KindAMRM      = "YARN_AM_RM_TOKEN"
	KindNM        = "NMToken"
	KindContainer = "ContainerToken"
	KindHDFS      = "HDFS_DELEGATION_TOKEN"
	KindRMDT      = "RM_DELEGATION_TOKEN"
)

// Token is a Hadoop security token.
type Token struct {
	Identifier []byte
	Password   []byte
	Kind       string
	// Service names the server the token is for, usually "host:port".
	Service string
}

// String describes the token without its password.
func (t Token) String() string {
	return fmt.Sprintf("token(kind=%s service=%s identifier=%s)", t.Kind, t.Service, base64.StdEncoding.EncodeToString(t.Identifier))
}

// FromProto converts a wire token; nil gives the zero Token.
func FromProto(p *hadooppb.TokenProto) Token {
	if p == nil {
		return Token{}
	}
	return Token{
		Identifier: append([]byte(nil), p.GetIdentifier()...),
		Password:   append([]byte(nil), p.GetPassword()...),
		Kind:       p.GetKind(),
		Service:    p.GetService(),
	}
}

// Proto converts the token to its wire form.
func (t Token) Proto() *hadooppb.TokenProto {
	return &hadooppb.TokenProto{
		Identifier: append([]byte{}, t.Identifier...),
		Password:   append([]byte{}, t.Password...),
		Kind:       &t.Kind,
		Service:    &t.Service,
	}
}
