package conf

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteHelp writes every configuration key with its type, default, Spark
// name, environment variable and description (gostream-submit --help-conf).
func WriteHelp(w io.Writer) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "Configuration keys. Later sources win: built-in defaults < properties file (--properties-file,\n")
	fmt.Fprintf(b, "default %s) < environment variables < --conf key=value.\n", DefaultPropertiesFile)
	fmt.Fprintf(b, "Spark names (spark.…) are accepted for the gostream keys that list one.\n")
	fmt.Fprintf(b, "Durations: 200ms, 10s, 2min, 1h, 1h30m; sizes: 512m, 2g, 1024k (binary units).\n")
	for _, s := range sections {
		fmt.Fprintf(b, "\n%s\n\n", s.title)
		for i := range s.keys {
			writeKeyHelp(b, &s.keys[i])
		}
	}
	return b.Flush()
}

func writeKeyHelp(w io.Writer, k *key) {
	name, env := k.name, envName(k.name)
	if k.prefix {
		name += ".NAME"
		env += "_NAME"
	}
	fmt.Fprintf(w, "  %s\n", name)
	line := "      " + typeText(k)
	if !k.prefix {
		def := k.def
		if k.kind == kindString || k.kind == kindList {
			def = fmt.Sprintf("%q", def)
		}
		line += ", default " + def
	}
	fmt.Fprintf(w, "%s\n", line)
	if len(k.spark) > 0 {
		sparkName := k.spark[0]
		if k.prefix {
			sparkName += ".NAME"
		}
		line := "      Spark: " + sparkName
		if len(k.spark) > 1 {
			line += " (also " + strings.Join(k.spark[1:], ", ") + ")"
		}
		fmt.Fprintf(w, "%s\n", line)
	}
	fmt.Fprintf(w, "      env: %s\n", env)
	fmt.Fprintf(w, "      %s\n", k.doc)
}

// typeText describes k's type and bounds.
func typeText(k *key) string {
	var t string
	switch k.kind {
	case kindString:
		t = "string"
	case kindInt:
		t = "int"
	case kindBool:
		t = "bool"
	case kindDuration:
		t = "duration"
		if k.unit != 0 {
			t += " (bare number: " + unitNames[time.Duration(k.unit)] + ")"
		}
	case kindSize:
		t = "size (bare number: " + sizeUnitName(k.unit) + ")"
	case kindEnum:
		t = strings.Join(k.enum, "|")
	case kindList:
		t = "comma-separated list"
	case kindMaster:
		t = "yarn|local|local[N]|local[*]"
	}
	format := func(n int64) string { return fmt.Sprint(n) }
	switch k.kind {
	case kindDuration:
		format = func(n int64) string { return formatDuration(time.Duration(n)) }
	case kindSize:
		format = formatSize
	case kindInt:
	default:
		return t
	}
	switch {
	case !k.noMin && k.max != 0:
		t += fmt.Sprintf(", %s to %s", format(k.min), format(k.max))
	case !k.noMin && k.min != 0:
		t += ", at least " + format(k.min)
	}
	return t
}
