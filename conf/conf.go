package conf

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Conf is a resolved configuration: every key has its default unless a layer
// set it. Keys are stored under their canonical (gostream.…) names.
//
// The zero Conf holds the defaults and is ready to use. A Conf may be read
// from several goroutines at once; Set must not run concurrently with any
// other method.
type Conf struct {
	set map[string]value // explicitly set keys, by canonical name
}

// value is one setting.
type value struct {
	text   string // normal text form; parses back to v
	v      any    // string, int, bool, time.Duration, int64 (bytes) or []string
	source string // where it came from, for error messages
}

// Defaults returns a Conf holding only the built-in defaults.
func Defaults() *Conf { return &Conf{} }

// Clone returns an independent copy of c.
func (c *Conf) Clone() *Conf { return &Conf{set: maps.Clone(c.set)} }

// Set sets key (a gostream or Spark name) to value, checking both. It
// returns an *Error if the key is unknown or unsupported or the value is
// malformed or out of range. Set does not check combinations of keys; see
// Validate.
func (c *Conf) Set(key, value string) error {
	return c.setFrom(key, value, "")
}

// SetDefault sets key to value unless a layer above the defaults (or Set)
// already set it: an application's own default, which the operator's
// configuration still overrides. It checks key and value as Set does.
func (c *Conf) SetDefault(key, value string) error {
	_, canon, e := resolve(key)
	if e != nil {
		return e
	}
	if _, ok := c.set[canon]; ok {
		return nil
	}
	return c.setFrom(key, value, "the application's default")
}

func (c *Conf) setFrom(name, raw, source string) error {
	k, canon, e := resolve(name)
	if e != nil {
		e.Source = source
		return e
	}
	text, v, err := parseValue(k, raw)
	if err != nil {
		return &Error{Source: source, Key: name, Value: raw, Reason: err.Error(), Err: ErrInvalidValue}
	}
	if c.set == nil {
		c.set = map[string]value{}
	}
	c.set[canon] = value{text: text, v: v, source: source}
	return nil
}

// anyKind makes get accept a key of any kind.
const anyKind kind = -1

// get returns the value of a registered key of kind want (or of any kind).
// An unregistered key or a kind mismatch is a programming error in the
// caller: get panics.
func (c *Conf) get(key string, want kind, method string) value {
	k := reg.byName[key]
	if k == nil {
		if p, canon, ok := lookup(key); ok && p.prefix && canon == key && (want == anyKind || want == kindString) {
			return c.set[key] // a member of a family; "" when unset
		}
		panic(fmt.Sprintf("conf: %s(%q): not a registered gostream key", method, key))
	}
	if want != anyKind && k.kind != want {
		panic(fmt.Sprintf("conf: %s(%q): the key is not of that type", method, key))
	}
	if v, ok := c.set[key]; ok {
		return v
	}
	return reg.defaults[key]
}

// The accessors below take canonical names (use the constants of this
// package). Passing a name that is not registered, or calling an accessor of
// the wrong type, is a programming error and panics; values that come from
// users were checked when they were set.

// String returns the value of key in its text form. It works for keys of
// every type (a duration is written like "200ms", a size like "512m", a list
// comma-separated), and for members of a family such as
// gostream.executorEnv.NAME ("" when unset).
func (c *Conf) String(key string) string { return c.get(key, anyKind, "String").text }

// Int returns the value of an integer key.
func (c *Conf) Int(key string) int { return c.get(key, kindInt, "Int").v.(int) }

// Bool returns the value of a boolean key.
func (c *Conf) Bool(key string) bool { return c.get(key, kindBool, "Bool").v.(bool) }

// Duration returns the value of a duration key.
func (c *Conf) Duration(key string) time.Duration {
	return c.get(key, kindDuration, "Duration").v.(time.Duration)
}

// Size returns the value of a size key, in bytes.
func (c *Conf) Size(key string) int64 { return c.get(key, kindSize, "Size").v.(int64) }

// Strings returns the elements of a list key (such as gostream.files), or nil
// if it is empty.
func (c *Conf) Strings(key string) []string {
	return slices.Clone(c.get(key, kindList, "Strings").v.([]string))
}

// Master returns the parsed value of gostream.master.
func (c *Conf) Master() MasterSpec {
	m, err := ParseMaster(c.get(Master, kindMaster, "Master").text)
	if err != nil {
		panic("conf: stored master does not parse: " + err.Error())
	}
	return m
}

// StringMap returns the members of a key family (ExecutorEnv or
// YarnAppMasterEnv) that are set, by the name after the family's prefix:
// gostream.executorEnv.TZ=UTC gives {"TZ": "UTC"}.
func (c *Conf) StringMap(family string) map[string]string {
	var fam *key
	for _, p := range reg.prefixes {
		if p.name == family {
			fam = p
		}
	}
	if fam == nil {
		panic(fmt.Sprintf("conf: StringMap(%q): not a registered key family", family))
	}
	m := map[string]string{}
	for name, v := range c.set {
		if sfx, ok := strings.CutPrefix(name, family+"."); ok {
			m[sfx] = v.text
		}
	}
	return m
}

// IsSet reports whether key was set by a layer above the defaults (or by
// Set), even to its default value. It panics, like the accessors, if key is
// not registered.
func (c *Conf) IsSet(key string) bool {
	if reg.byName[key] == nil {
		if p, canon, ok := lookup(key); !ok || !p.prefix || canon != key {
			panic(fmt.Sprintf("conf: IsSet(%q): not a registered gostream key", key))
		}
	}
	_, ok := c.set[key]
	return ok
}

// Environ returns the explicitly set keys as environment variables
// (NAME=value, sorted), so that a child process whose Load reads them has the
// same configuration.
func (c *Conf) Environ() []string {
	env := make([]string, 0, len(c.set))
	for name, v := range c.set {
		env = append(env, EnvVar(name)+"="+v.text)
	}
	slices.Sort(env)
	return env
}

// Validate checks combinations of keys that Set cannot check one by one. Load
// calls it; call it after changing a Conf with Set.
func (c *Conf) Validate() error {
	if c.String(DeployMode) == DeployModeCluster && !c.Master().YARN {
		return c.conflict(DeployMode, fmt.Sprintf("cluster deploy mode needs gostream.master=yarn (it is %s)", c.String(Master)))
	}
	if hb, nt := c.Duration(ExecutorHeartbeatInterval), c.Duration(NetworkTimeout); hb >= nt {
		key := ExecutorHeartbeatInterval
		if c.IsSet(NetworkTimeout) && !c.IsSet(ExecutorHeartbeatInterval) {
			key = NetworkTimeout
		}
		return c.conflict(key, fmt.Sprintf("gostream.executor.heartbeatInterval (%s) must be less than gostream.network.timeout (%s)",
			formatDuration(hb), formatDuration(nt)))
	}
	if (c.String(KerberosPrincipal) == "") != (c.String(KerberosKeytab) == "") {
		key := KerberosPrincipal
		if c.String(KerberosPrincipal) == "" {
			key = KerberosKeytab
		}
		return c.conflict(key, "gostream.kerberos.principal and gostream.kerberos.keytab must be set together")
	}
	return nil
}

func (c *Conf) conflict(key, reason string) *Error {
	v := c.set[key]
	if _, ok := c.set[key]; !ok {
		v = reg.defaults[key]
	}
	return &Error{Source: v.source, Key: key, Value: v.text, Reason: reason, Err: ErrInvalidValue}
}
