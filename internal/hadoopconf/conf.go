package hadoopconf

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The environment variables naming the configuration directories.
const (
	EnvConfDir     = "HADOOP_CONF_DIR"
	EnvYarnConfDir = "YARN_CONF_DIR"
)

// SiteFiles are the files Load reads from each directory.
var SiteFiles = []string{"core-site.xml", "hdfs-site.xml", "yarn-site.xml"}

// ErrConfig is wrapped by errors about a bad configuration: unreadable
// directories, malformed XML, values of the wrong type.
var ErrConfig = errors.New("bad Hadoop configuration")

// Conf is a loaded Hadoop configuration.
type Conf struct {
	props   map[string]string
	sources []string
	dirs    []confDir // the directories read, for messages when they hold no site file
}

// confDir is a configuration directory and the environment variable that
// named it ("" when it was given directly).
type confDir struct{ path, env string }

func (d confDir) String() string {
	if d.env == "" {
		return d.path
	}
	return d.env + "=" + d.path
}

// New returns a configuration holding props (copied), for tests and callers
// that build one by hand.
func New(props map[string]string) *Conf {
	c := &Conf{props: make(map[string]string, len(props))}
	for k, v := range props {
		c.props[k] = v
	}
	return c
}

// LoadFromEnv loads the site files from the directories the process's
// environment names (see LoadEnv).
func LoadFromEnv() (*Conf, error) { return LoadEnv(os.Getenv) }

// LoadEnv loads the site files from $HADOOP_CONF_DIR, then $YARN_CONF_DIR,
// as getenv gives them (either may be unset; with neither set the
// configuration is empty and every lookup gives its default). Messages name
// the variable a directory came from.
func LoadEnv(getenv func(string) string) (*Conf, error) {
	var dirs []confDir
	for _, env := range []string{EnvConfDir, EnvYarnConfDir} {
		if d := strings.TrimSpace(getenv(env)); d != "" {
			dirs = append(dirs, confDir{path: d, env: env})
		}
	}
	return load(dirs)
}

// Load reads the site files from dirs. For each file name the first
// directory holding it wins; a directory that does not exist is an error.
func Load(dirs ...string) (*Conf, error) {
	cds := make([]confDir, len(dirs))
	for i, d := range dirs {
		cds[i] = confDir{path: d}
	}
	return load(cds)
}

func load(dirs []confDir) (*Conf, error) {
	c := &Conf{props: map[string]string{}, dirs: dirs}
	for _, d := range dirs {
		st, err := os.Stat(d.path)
		if err != nil {
			return nil, fmt.Errorf("configuration directory %s: %w (%w)", d, err, ErrConfig)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("configuration directory %s is not a directory (%w)", d, ErrConfig)
		}
	}
	for _, name := range SiteFiles {
		for _, d := range dirs {
			p := filepath.Join(d.path, name)
			data, err := os.ReadFile(p)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("read %s: %w (%w)", p, err, ErrConfig)
			}
			props, err := parseSite(data)
			if err != nil {
				return nil, fmt.Errorf("parse %s: %w (%w)", p, err, ErrConfig)
			}
			for k, v := range props {
				c.props[k] = v
			}
			c.sources = append(c.sources, p)
			break
		}
	}
	return c, nil
}

// parseSite decodes a Hadoop configuration XML file.
func parseSite(data []byte) (map[string]string, error) {
	var doc struct {
		XMLName    xml.Name `xml:"configuration"`
		Properties []struct {
			Name  string `xml:"name"`
			Value string `xml:"value"`
		} `xml:"property"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	props := make(map[string]string, len(doc.Properties))
	for _, p := range doc.Properties {
		if name := strings.TrimSpace(p.Name); name != "" {
			props[name] = strings.TrimSpace(p.Value)
		}
	}
	return props, nil
}

// Sources lists the files the configuration was read from.
func (c *Conf) Sources() []string { return append([]string(nil), c.sources...) }

// Describe names where the configuration came from, for messages. Without
// site files it says why and what to do: the directories read, and the
// variables that named them, hold none, or no directory was given.
func (c *Conf) Describe() string {
	if len(c.sources) > 0 {
		return strings.Join(c.sources, ", ")
	}
	const clientConf = "the cluster's client configuration, e.g. /etc/hadoop/conf"
	if len(c.dirs) == 0 {
		return fmt.Sprintf("no Hadoop site files (set %s to %s, the directory holding its %s)",
			EnvConfDir, clientConf, strings.Join(SiteFiles, ", "))
	}
	dirs := make([]string, len(c.dirs))
	for i, d := range c.dirs {
		dirs[i] = d.String()
	}
	verb := "holds"
	if len(dirs) > 1 {
		verb = "hold"
	}
	msg := fmt.Sprintf("no Hadoop site files (%s %s none of %s", strings.Join(dirs, " and "), verb, strings.Join(SiteFiles, ", "))
	if env := c.dirs[0].env; env != "" {
		msg += fmt.Sprintf(": point %s at %s", env, clientConf)
	}
	return msg + ")"
}

// Get returns the value of key with ${name} references expanded, and
// whether it is set (to a non-empty value).
func (c *Conf) Get(key string) (string, bool) {
	v, ok := c.props[key]
	if !ok || v == "" {
		return "", false
	}
	return c.expand(v, 0), true
}

// String returns the value of key, or def when unset.
func (c *Conf) String(key, def string) string {
	if v, ok := c.Get(key); ok {
		return v
	}
	return def
}

// Int returns the integer value of key, or def when unset.
func (c *Conf) Int(key string, def int) (int, error) {
	v, ok := c.Get(key)
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q in %s is not an integer (%w)", key, v, c.Describe(), ErrConfig)
	}
	return n, nil
}

// Bool returns the boolean value of key, or def when unset.
func (c *Conf) Bool(key string, def bool) (bool, error) {
	v, ok := c.Get(key)
	if !ok {
		return def, nil
	}
	b, err := strconv.ParseBool(strings.ToLower(v))
	if err != nil {
		return false, fmt.Errorf("%s=%q in %s is not a boolean (%w)", key, v, c.Describe(), ErrConfig)
	}
	return b, nil
}

// Millis returns a duration given in milliseconds, or def when unset.
func (c *Conf) Millis(key string, def time.Duration) (time.Duration, error) {
	v, ok := c.Get(key)
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s=%q in %s is not a number of milliseconds (%w)", key, v, c.Describe(), ErrConfig)
	}
	return time.Duration(n) * time.Millisecond, nil
}

// maxExpansionDepth bounds ${...} substitution, as Hadoop does, so that a
// self-reference cannot loop.
const maxExpansionDepth = 20

// expand substitutes ${name} with the (expanded) value of name, and
// ${env.NAME} with the environment variable NAME. Unknown references stay as
// they are, as in Hadoop.
func (c *Conf) expand(v string, depth int) string {
	if depth >= maxExpansionDepth || !strings.Contains(v, "${") {
		return v
	}
	var b strings.Builder
	for {
		i := strings.Index(v, "${")
		if i < 0 {
			b.WriteString(v)
			break
		}
		j := strings.IndexByte(v[i:], '}')
		if j < 0 {
			b.WriteString(v)
			break
		}
		b.WriteString(v[:i])
		name := v[i+2 : i+j]
		var repl string
		var ok bool
		if env, isEnv := strings.CutPrefix(name, "env."); isEnv {
			repl, ok = os.LookupEnv(env)
		} else if r, set := c.props[name]; set {
			repl, ok = c.expand(r, depth+1), true
		}
		if ok {
			b.WriteString(repl)
		} else {
			b.WriteString(v[i : i+j+1])
		}
		v = v[i+j+1:]
	}
	return b.String()
}
