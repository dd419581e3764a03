package token

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/gostream/gostream/internal/hadoop/hadooppb"
)

// Magic starts every credentials file.
const Magic = "HDTS"

// Format is the serialization of a credentials file.
type Format byte

const (
	// Format0 is Hadoop's Writable format (its default).
	Format0 Format = 0
	// Format1 is the protobuf format.
	Format1 Format = 1
)

// EnvTokenFile names the environment variable that YARN sets, in every
// container, to the path of the container's credentials file.
const EnvTokenFile = "HADOOP_TOKEN_FILE_LOCATION"

// ErrFormat is wrapped by every error about malformed credentials.
var ErrFormat = errors.New("malformed Hadoop credentials")

// Entry is a token under its alias.
type Entry struct {
	Alias string
	Token Token
}

// Secret is a secret key under its alias.
type Secret struct {
	Alias string
	Key   []byte
}

// Credentials are the tokens and secret keys of a credentials file, in file
// order. Aliases are unique; Add and AddSecret replace an existing entry.
type Credentials struct {
	Tokens  []Entry
	Secrets []Secret
}

// Add stores t under alias, replacing any token with that alias.
func (c *Credentials) Add(alias string, t Token) {
	for i := range c.Tokens {
		if c.Tokens[i].Alias == alias {
			c.Tokens[i].Token = t
			return
		}
	}
	c.Tokens = append(c.Tokens, Entry{Alias: alias, Token: t})
}

// AddSecret stores key under alias, replacing any key with that alias.
func (c *Credentials) AddSecret(alias string, key []byte) {
	for i := range c.Secrets {
		if c.Secrets[i].Alias == alias {
			c.Secrets[i].Key = key
			return
		}
	}
	c.Secrets = append(c.Secrets, Secret{Alias: alias, Key: key})
}

// ByKind returns the first token of the given kind.
func (c *Credentials) ByKind(kind string) (Token, bool) {
	for _, e := range c.Tokens {
		if e.Token.Kind == kind {
			return e.Token, true
		}
	}
	return Token{}, false
}

// SecretByAlias returns the secret key stored under alias.
func (c *Credentials) SecretByAlias(alias string) ([]byte, bool) {
	for _, s := range c.Secrets {
		if s.Alias == alias {
			return s.Key, true
		}
	}
	return nil, false
}

// ByAlias returns the token stored under alias.
func (c *Credentials) ByAlias(alias string) (Token, bool) {
	for _, e := range c.Tokens {
		if e.Alias == alias {
			return e.Token, true
		}
	}
	return Token{}, false
}

// ReadFile reads a credentials file.
func ReadFile(name string) (*Credentials, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read Hadoop credentials: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("read Hadoop credentials %s: %w", name, err)
	}
	return c, nil
}

// ReadFromEnv reads the file named by HADOOP_TOKEN_FILE_LOCATION in the
// environment getenv reads.
func ReadFromEnv(getenv func(string) string) (*Credentials, error) {
	name := getenv(EnvTokenFile)
	if name == "" {
		return nil, fmt.Errorf("read Hadoop credentials: %s is not set (not running in a YARN container?)", EnvTokenFile)
	}
	return ReadFile(name)
}

// Parse decodes credentials in either format.
func Parse(data []byte) (*Credentials, error) {
	if len(data) < len(Magic)+1 {
		return nil, fmt.Errorf("%w: %d bytes, too short for the header", ErrFormat, len(data))
	}
	if string(data[:len(Magic)]) != Magic {
		return nil, fmt.Errorf("%w: starts with %q, want %q", ErrFormat, data[:len(Magic)], Magic)
	}
	body := data[len(Magic)+1:]
	switch f := Format(data[len(Magic)]); f {
	case Format0:
		return parseWritable(body)
	case Format1:
		return parseProto(body)
	default:
		return nil, fmt.Errorf("%w: unknown format %d", ErrFormat, f)
	}
}

// reader walks a Writable body.
type reader struct {
	b   []byte
	off int
}

func (r *reader) fail(what string, err error) error {
	return fmt.Errorf("%w: %s at offset %d: %v", ErrFormat, what, r.off+len(Magic)+1, err)
}

func (r *reader) vint(what string) (int, error) {
	v, n, err := ReadVInt(r.b[r.off:])
	if err != nil {
		return 0, r.fail(what, err)
	}
	if v < 0 {
		return 0, r.fail(what, fmt.Errorf("negative length %d", v))
	}
	r.off += n
	return int(v), nil
}

func (r *reader) bytes(what string) ([]byte, error) {
	n, err := r.vint(what + " length")
	if err != nil {
		return nil, err
	}
	if n > len(r.b)-r.off {
		return nil, r.fail(what, fmt.Errorf("length %d, only %d bytes left", n, len(r.b)-r.off))
	}
	v := append([]byte{}, r.b[r.off:r.off+n]...)
	r.off += n
	return v, nil
}

func (r *reader) text(what string) (string, error) {
	b, err := r.bytes(what)
	return string(b), err
}

func parseWritable(body []byte) (*Credentials, error) {
	r := &reader{b: body}
	c := &Credentials{}
	n, err := r.vint("token count")
	if err != nil {
		return nil, err
	}
	for i := 0; i < n; i++ {
		if r.off >= len(r.b) {
			return nil, r.fail(fmt.Sprintf("token %d of %d", i+1, n), errShort)
		}
		var e Entry
		if e.Alias, err = r.text("token alias"); err != nil {
			return nil, err
		}
		if e.Token.Identifier, err = r.bytes("token identifier"); err != nil {
			return nil, err
		}
		if e.Token.Password, err = r.bytes("token password"); err != nil {
			return nil, err
		}
		if e.Token.Kind, err = r.text("token kind"); err != nil {
			return nil, err
		}
		if e.Token.Service, err = r.text("token service"); err != nil {
			return nil, err
		}
		c.Add(e.Alias, e.Token)
	}
	n, err = r.vint("secret key count")
	if err != nil {
		return nil, err
	}
	for i := 0; i < n; i++ {
		if r.off >= len(r.b) {
			return nil, r.fail(fmt.Sprintf("secret key %d of %d", i+1, n), errShort)
		}
		alias, err := r.text("secret key alias")
		if err != nil {
			return nil, err
		}
		key, err := r.bytes("secret key")
		if err != nil {
			return nil, err
		}
		c.AddSecret(alias, key)
	}
	if r.off != len(r.b) {
		return nil, r.fail("end", fmt.Errorf("%d trailing bytes", len(r.b)-r.off))
	}
	return c, nil
}

func parseProto(body []byte) (*Credentials, error) {
	size, n := protowire.ConsumeVarint(body)
	if n < 0 {
		return nil, fmt.Errorf("%w: bad length prefix of the protobuf body", ErrFormat)
	}
	if size > uint64(len(body)-n) {
		return nil, fmt.Errorf("%w: protobuf body of %d bytes, only %d present", ErrFormat, size, len(body)-n)
	}
	var p hadooppb.CredentialsProto
	if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(body[n:n+int(size)], &p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	c := &Credentials{}
	for _, kv := range p.GetTokens() {
		c.Add(kv.GetAlias(), FromProto(kv.GetToken()))
	}
	for _, kv := range p.GetSecrets() {
		c.AddSecret(kv.GetAlias(), append([]byte{}, kv.GetSecret()...))
	}
	return c, nil
}

// Marshal encodes the credentials in format f.
func (c *Credentials) Marshal(f Format) ([]byte, error) {
	b := append([]byte(Magic), byte(f))
	switch f {
	case Format0:
		b = AppendVInt(b, int32(len(c.Tokens)))
		for _, e := range c.Tokens {
			b = appendBytes(b, []byte(e.Alias))
			b = appendBytes(b, e.Token.Identifier)
			b = appendBytes(b, e.Token.Password)
			b = appendBytes(b, []byte(e.Token.Kind))
			b = appendBytes(b, []byte(e.Token.Service))
		}
		b = AppendVInt(b, int32(len(c.Secrets)))
		for _, s := range c.Secrets {
			b = appendBytes(b, []byte(s.Alias))
			b = appendBytes(b, s.Key)
		}
		return b, nil
	case Format1:
		var p hadooppb.CredentialsProto
		for _, e := range c.Tokens {
			p.Tokens = append(p.Tokens, &hadooppb.CredentialsKVProto{Alias: proto.String(e.Alias), Token: e.Token.Proto()})
		}
		for _, s := range c.Secrets {
			p.Secrets = append(p.Secrets, &hadooppb.CredentialsKVProto{Alias: proto.String(s.Alias), Secret: append([]byte{}, s.Key...)})
		}
		m, err := proto.Marshal(&p)
		if err != nil {
			return nil, fmt.Errorf("encode credentials: %w", err)
		}
		b = protowire.AppendVarint(b, uint64(len(m)))
		return append(b, m...), nil
	default:
		return nil, fmt.Errorf("encode credentials: unknown format %d", f)
	}
}

func appendBytes(b, v []byte) []byte {
	return append(AppendVInt(b, int32(len(v))), v...)
}

// WriteFile writes the credentials to name in format f (0600), through a
// temporary file renamed into place.
func (c *Credentials) WriteFile(name string, f Format) error {
	data, err := c.Marshal(f)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write Hadoop credentials %s: %w", name, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write Hadoop credentials %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write Hadoop credentials %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("write Hadoop credentials %s: %w", name, err)
	}
	return nil
}

// Equal reports whether two credentials hold the same entries in order.
func (c *Credentials) Equal(o *Credentials) bool {
	if len(c.Tokens) != len(o.Tokens) || len(c.Secrets) != len(o.Secrets) {
		return false
	}
	for i, e := range c.Tokens {
		f := o.Tokens[i]
		if e.Alias != f.Alias || !bytes.Equal(e.Token.Identifier, f.Token.Identifier) || !bytes.Equal(e.Token.Password, f.Token.Password) ||
			e.Token.Kind != f.Token.Kind || e.Token.Service != f.Token.Service {
			return false
		}
	}
	for i, s := range c.Secrets {
		if s.Alias != o.Secrets[i].Alias || !bytes.Equal(s.Key, o.Secrets[i].Key) {
			return false
		}
	}
	return true
}
