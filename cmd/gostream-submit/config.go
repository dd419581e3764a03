package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gostream/gostream/conf"
	"github.com/gostream/gostream/internal/procenv"
)

// resolveConf builds the application's configuration from the layers, each
// overriding the ones before: built-in defaults < properties file <
// environment < --conf < the flags that set keys (--master, --name, …).
//
// The flags are checked one by one first, so that a bad value is reported
// against its flag; then they are applied as the last overrides, so that
// conf.Load checks the whole result at once (a flag may settle a conflict
// between lower layers, as in spark-submit). warn, if not nil, is told of
// GOSTREAM_* variables that name no key (conf.Sources.Warn).
func resolveConf(o *options, environ []string, warn func(error)) (*conf.Conf, error) {
	var errs []error
	overrides := append([]string(nil), o.confs...)
	normal := map[string]string{} // key → the flag's value in conf's normal form
	flagOf := map[string]string{} // key → the flag that set it
	for _, s := range o.settings {
		c := conf.Defaults()
		if err := c.Set(s.key, s.value); err != nil {
			errs = append(errs, relabel(err, s.flag))
			continue
		}
		normal[s.key], flagOf[s.key] = c.String(s.key), s.flag
		overrides = append(overrides, s.key+"="+s.value)
	}
	if o.propertiesFile != "" {
		if _, err := os.Stat(o.propertiesFile); err != nil {
			errs = append(errs, fmt.Errorf("--properties-file: %w; give an existing properties file", err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	c, err := conf.Load(conf.Sources{PropertiesFile: o.propertiesFile, Environ: environ, Overrides: overrides,
		OtherVars: procenv.Vars(), Warn: warn})
	if err != nil {
		attributeToFlags(err, normal, flagOf)
		return nil, err
	}
	return c, nil
}

// noEffectLocally names the flags and --conf keys of the command line that
// have no effect with c's master, when it is local: a warning, since they
// are probably meant for --master yarn; "" when there are none. Keys from
// the properties file and the environment are not named: those are often
// shared between local and YARN runs.
func noEffectLocally(o *options, c *conf.Conf) string {
	if c.Master().YARN {
		return ""
	}
	var names []string
	for _, s := range o.settings {
		if conf.YARNOnly(s.key) {
			names = append(names, s.flag)
		}
	}
	for _, kv := range o.confs {
		key, _, _ := strings.Cut(kv, "=")
		if key = strings.TrimSpace(key); conf.YARNOnly(key) && !slices.Contains(names, "--conf "+key) {
			names = append(names, "--conf "+key)
		}
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("%s has no effect with --master %s: it applies to --master yarn", names[0], c.String(conf.Master))
	}
	return fmt.Sprintf("%s have no effect with --master %s: they apply to --master yarn", strings.Join(names, ", "), c.String(conf.Master))
}

// relabel names flag as the source of a conf error.
func relabel(err error, flag string) error {
	var ce *conf.Error
	if errors.As(err, &ce) {
		ce.Source = flag
		return ce
	}
	return fmt.Errorf("%s: %w", flag, err)
}

// attributeToFlags names the flag as the source of the errors conf.Load
// reports against values that came from flags (which it sees as --conf
// overrides): a conflict between keys names the key and its current value.
func attributeToFlags(err error, normal, flagOf map[string]string) {
	var walk func(error)
	walk = func(err error) {
		if ce, ok := err.(*conf.Error); ok {
			if f := flagOf[ce.Key]; f != "" && ce.Source == "--conf" && ce.Value == normal[ce.Key] {
				ce.Source = f
			}
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
		}
	}
	walk(err)
}

// propertiesFileUsed returns the properties file conf.Load reads for o, or "".
func propertiesFileUsed(o *options) string {
	if o.propertiesFile != "" {
		return o.propertiesFile
	}
	if _, err := os.Stat(conf.DefaultPropertiesFile); err == nil {
		return conf.DefaultPropertiesFile
	}
	return ""
}

// defaultAppName sets the application name to the application's file name
// when no layer set it, as spark-submit names an application after its main
// class.
func defaultAppName(c *conf.Conf, app string) {
	if c.IsSet(conf.AppName) {
		return
	}
	name := strings.TrimSuffix(filepath.Base(filepath.Clean(app)), ".exe")
	if name == "." || name == string(filepath.Separator) || name == "" {
		return
	}
	_ = c.Set(conf.AppName, name) // only an empty name is rejected, and it is not empty
}

// checkFiles checks that the local files of gostream.files exist: a missing
// file is better reported before the application starts.
func checkFiles(c *conf.Conf) error {
	var errs []error
	for _, f := range c.Strings(conf.Files) {
		p, local := localPath(f)
		if !local {
			continue
		}
		st, err := os.Stat(p)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s (%s): %w; give an existing file or an hdfs:// URL", conf.Files, f, err))
		case st.IsDir():
			errs = append(errs, fmt.Errorf("%s (%s): is a directory; list files, not directories", conf.Files, f))
		}
	}
	return errors.Join(errs...)
}

// localPath returns the local path of a file named by a path or a file://
// URL; local is false for other URLs (hdfs://…).
func localPath(name string) (p string, local bool) {
	if rest, ok := strings.CutPrefix(name, "file://"); ok {
		return rest, true
	}
	if strings.Contains(name, "://") {
		return "", false
	}
	return name, true
}
