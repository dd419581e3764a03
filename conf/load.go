package conf

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// DefaultPropertiesFile is the properties file Load reads, relative to the
// working directory, when no file is given and it exists.
const DefaultPropertiesFile = "conf/gostream-defaults.yaml"

// Sources names the layers Load reads. Later layers win: built-in defaults <
// properties file < environment < overrides.
type Sources struct {
	// PropertiesFile is a YAML properties file given explicitly (with
	// --properties-file); it must exist. If empty, DefaultPropertiesFile is
	// read when it exists, unless NoDefaultPropertiesFile is set.
	PropertiesFile string
	// NoDefaultPropertiesFile stops Load from looking for
	// DefaultPropertiesFile (for tests, and processes that get their whole
	// configuration from the environment).
	NoDefaultPropertiesFile bool
	// Environ is the environment, as from os.Environ: NAME=value entries.
	// Only variables named like a key's (see EnvVar) are read; other
	// variables, GOSTREAM_ ones included, are ignored. An empty value is a
	// value (the empty string), not "unset".
	Environ []string
	// Overrides are the key=value arguments of --conf, in order; for a key
	// given twice the last wins.
	Overrides []string
}

// Load builds a Conf from the defaults and the layers in src, then checks it
// with Validate. Every rejected setting of every layer is reported, each as
// an *Error (joined with errors.Join when there are several); a properties
// file that cannot be read or is not valid YAML is reported with its name.
func Load(src Sources) (*Conf, error) {
	c := Defaults()
	var errs []error

	path, explicit := src.PropertiesFile, src.PropertiesFile != ""
	if !explicit && !src.NoDefaultPropertiesFile {
		path = DefaultPropertiesFile
	}
	if path != "" {
		data, err := os.ReadFile(path)
		switch {
		case err == nil:
			errs = append(errs, c.loadYAML(path, data)...)
		case !explicit && errors.Is(err, fs.ErrNotExist):
			// No default file: nothing to read.
		default:
			return nil, fmt.Errorf("read properties file: %w", err)
		}
	}

	for _, kv := range src.Environ {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) {
			continue
		}
		if key := envKey(name); key != "" {
			if err := c.setFrom(key, val, "environment variable "+name); err != nil {
				errs = append(errs, err)
			}
		}
	}

	for _, kv := range src.Overrides {
		name, val, ok := strings.Cut(kv, "=")
		if !ok {
			errs = append(errs, &Error{Source: "--conf", Value: kv, Reason: "expected key=value", Err: ErrInvalidValue})
			continue
		}
		if err := c.setFrom(strings.TrimSpace(name), val, "--conf"); err != nil {
			errs = append(errs, err)
		}
	}

	if len(errs) == 0 {
		if err := c.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// envKey returns the canonical key an environment variable sets, or "".
func envKey(name string) string {
	if k := reg.byEnv[name]; k != nil {
		return k.name
	}
	for _, p := range reg.prefixes {
		if sfx, ok := strings.CutPrefix(name, envName(p.name)+"_"); ok {
			return p.name + "." + sfx
		}
	}
	return ""
}

// loadYAML applies a YAML properties file: a mapping whose keys are flat
// (gostream.streaming.blockInterval: 500ms), nested (gostream: {streaming:
// {blockInterval: 500ms}}) or a mix, gostream or Spark names. A list value is
// accepted for list keys; null is the empty string. Setting one key twice,
// under any spelling, is an error.
func (c *Conf) loadYAML(path string, data []byte) []error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return []error{fmt.Errorf("properties file %s: %w", path, err)}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil // empty file
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil // only comments
	}
	if root.Kind != yaml.MappingNode {
		return []error{fmt.Errorf("properties file %s:%d: expected a mapping of configuration keys to values", path, root.Line)}
	}
	var errs []error
	seen := map[string]int{} // canonical key -> line
	var walk func(prefix string, m *yaml.Node)
	walk = func(prefix string, m *yaml.Node) {
		for i := 0; i+1 < len(m.Content); i += 2 {
			kn, vn := m.Content[i], resolveAlias(m.Content[i+1])
			source := fmt.Sprintf("%s:%d", path, kn.Line)
			name := prefix + kn.Value
			if kn.Tag == "!!merge" {
				errs = append(errs, fmt.Errorf("%s: YAML merge keys (<<) are not supported in properties files", source))
				continue
			}
			if vn.Kind == yaml.MappingNode {
				walk(name+".", vn)
				continue
			}
			raw, err := yamlValue(name, vn)
			if err != nil {
				err.Source = source
				errs = append(errs, err)
				continue
			}
			if _, canon, ok := lookup(name); ok {
				if line, dup := seen[canon]; dup {
					errs = append(errs, &Error{Source: source, Key: name, Err: ErrDuplicateKey,
						Reason: fmt.Sprintf("%s is also set at line %d", canon, line)})
					continue
				}
				seen[canon] = kn.Line
			}
			if err := c.setFrom(name, raw, source); err != nil {
				errs = append(errs, err)
			}
		}
	}
	walk("", root)
	return errs
}

// yamlValue returns the text of a value node: a scalar's text as written (""
// for null), or for a list key a list of scalars joined with commas.
func yamlValue(name string, n *yaml.Node) (string, *Error) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "", nil
		}
		return n.Value, nil
	case yaml.SequenceNode:
		k, _, known := lookup(name)
		if !known {
			return "", nil // reported as an unknown key
		}
		if k.kind != kindList {
			return "", &Error{Key: name, Value: "[…]", Err: ErrInvalidValue, Reason: "expected a single value, not a list"}
		}
		items := make([]string, 0, len(n.Content))
		for _, it := range n.Content {
			if it = resolveAlias(it); it.Kind != yaml.ScalarNode {
				return "", &Error{Key: name, Value: "[…]", Err: ErrInvalidValue, Reason: "expected a list of strings"}
			}
			items = append(items, it.Value)
		}
		return strings.Join(items, ","), nil
	}
	return "", &Error{Key: name, Err: ErrInvalidValue, Reason: "expected a single value"}
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}
