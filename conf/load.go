package conf

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// DefaultPropertiesFile is the properties file Load reads, relative to the
// working directory, when no file is given and it exists.
const DefaultPropertiesFile = "conf/gostream-defaults.yaml"

// Sources names the layers Load reads. Later layers win: built-in defaults <
// properties file < environment < overrides.
type Sources struct {
	// PropertiesFile is a properties file given explicitly (with
	// --properties-file), in YAML or Spark's format (see the package doc); it
	// must exist. If empty, DefaultPropertiesFile is read when it exists,
	// unless NoDefaultPropertiesFile is set.
	PropertiesFile string
	// NoDefaultPropertiesFile stops Load from looking for
	// DefaultPropertiesFile (for tests, and processes that get their whole
	// configuration from the environment).
	NoDefaultPropertiesFile bool
	// Environ is the environment, as from os.Environ: NAME=value entries.
	// Only variables named like a key's (see EnvVar) are read; other
	// variables are ignored, and other GOSTREAM_ ones reported to Warn. An
	// empty value is a value (the empty string), not "unset".
	Environ []string
	// OtherVars are GOSTREAM_ variables that are not configuration keys but
	// have a meaning of their own (gostream's process environment contract,
	// internal/procenv): Load does not warn about them.
	OtherVars []string
	// Warn, if set, is called with each setting Load ignores that is
	// probably a mistake, as an *Error of class ErrUnknownKey: a GOSTREAM_
	// variable that names no key (a misspelling, most likely), with the
	// nearest key's variable as its Suggestion. Unknown keys from the other
	// layers are errors; the environment is shared with other programs, so
	// its stray variables only warn.
	Warn func(error)
	// Overrides are the key=value arguments of --conf, in order; for a key
	// given twice the last wins.
	Overrides []string
}

// Load builds a Conf from the defaults and the layers in src, then checks it
// with Validate. Every rejected setting of every layer is reported, each as
// an *Error (joined with errors.Join when there are several); a properties
// file that cannot be read or parsed is reported with its name.
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
			errs = append(errs, c.loadFile(path, data)...)
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
		source := "environment variable " + name
		switch key := envKey(name); {
		case key != "":
			if err := c.setFrom(key, val, source); err != nil {
				errs = append(errs, err)
			}
		case src.Warn != nil && !slices.Contains(src.OtherVars, name):
			src.Warn(&Error{Source: source, Suggestion: suggestEnv(name), Reason: "it is ignored", Err: ErrUnknownKey})
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

// loadFile applies a properties file. A *.conf or *.properties file is in
// Spark's format (spark-defaults.conf); any other is YAML, unless YAML reads
// the whole file as one plain value, as it reads Spark's "key value" lines:
// then it is in Spark's format too. A file that is not YAML keeps YAML's
// error rather than being guessed at, and a mistake in a YAML file is not
// taken for Spark's format.
func (c *Conf) loadFile(path string, data []byte) []error {
	if ext := strings.ToLower(filepath.Ext(path)); ext == ".conf" || ext == ".properties" {
		return c.loadProperties(path, data)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return []error{fmt.Errorf("properties file %s: %w (read as YAML; a file in Spark's format, key value lines, must be named *.conf or *.properties)", path, err)}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil // empty file
	}
	switch root := doc.Content[0]; {
	case root.Kind == yaml.ScalarNode && root.Tag == "!!null":
		return nil // only comments
	case root.Kind == yaml.ScalarNode:
		return c.loadProperties(path, data)
	case root.Kind != yaml.MappingNode:
		return []error{fmt.Errorf("properties file %s:%d: expected a mapping of configuration keys to values", path, root.Line)}
	default:
		return c.loadYAML(path, root)
	}
}

// fileSettings applies the settings of one properties file, naming the file
// and line of each error. Setting one key twice, under any spelling, is an
// error.
type fileSettings struct {
	c    *Conf
	path string
	seen map[string]int // canonical key -> line
	errs []error
}

func (c *Conf) newFileSettings(path string) *fileSettings {
	return &fileSettings{c: c, path: path, seen: map[string]int{}}
}

func (f *fileSettings) source(line int) string { return fmt.Sprintf("%s:%d", f.path, line) }

func (f *fileSettings) fail(err error) { f.errs = append(f.errs, err) }

// set sets key name (as written) to raw, from line.
func (f *fileSettings) set(name, raw string, line int) {
	if _, canon, ok := lookup(name); ok {
		if first, dup := f.seen[canon]; dup {
			f.fail(&Error{Source: f.source(line), Key: name, Err: ErrDuplicateKey,
				Reason: fmt.Sprintf("%s is also set at line %d", canon, first)})
			return
		}
		f.seen[canon] = line
	}
	if err := f.c.setFrom(name, raw, f.source(line)); err != nil {
		f.fail(err)
	}
}

// loadYAML applies a YAML mapping whose keys are flat
// (gostream.streaming.blockInterval: 500ms), nested (gostream: {streaming:
// {blockInterval: 500ms}}) or a mix, gostream or Spark names. A list value is
// accepted for list keys; null is the empty string.
func (c *Conf) loadYAML(path string, root *yaml.Node) []error {
	f := c.newFileSettings(path)
	var walk func(prefix string, m *yaml.Node)
	walk = func(prefix string, m *yaml.Node) {
		for i := 0; i+1 < len(m.Content); i += 2 {
			kn, vn := m.Content[i], resolveAlias(m.Content[i+1])
			name := prefix + kn.Value
			if kn.Tag == "!!merge" {
				f.fail(fmt.Errorf("%s: YAML merge keys (<<) are not supported in properties files", f.source(kn.Line)))
				continue
			}
			if vn.Kind == yaml.MappingNode {
				walk(name+".", vn)
				continue
			}
			raw, err := yamlValue(name, vn)
			if err != nil {
				err.Source = f.source(kn.Line)
				f.fail(err)
				continue
			}
			f.set(name, raw, kn.Line)
		}
	}
	walk("", root)
	return f.errs
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
