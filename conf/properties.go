package conf

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
)

// loadProperties applies a file in Spark's format, spark-defaults.conf:
// Java's properties format, which Spark reads with java.util.Properties. A
// line holds a key and its value separated by "=", ":" or whitespace (key
// value, key=value, key: value); lines whose first non-blank character is #
// or ! are comments; blank lines are skipped; a line ending in an odd number
// of backslashes continues on the next; \t, \n, \r, \f, \uXXXX and \c (c
// itself) are escapes. As Spark does, the value is trimmed of surrounding
// blanks other than line breaks.
func (c *Conf) loadProperties(path string, data []byte) []error {
	f := c.newFileSettings(path)
	lines := strings.Split(strings.ReplaceAll(strings.ReplaceAll(string(data), "\r\n", "\n"), "\r", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		first := i + 1 // errors name the line the setting starts on
		line := strings.TrimLeft(lines[i], propertyBlanks)
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		for continues(line) {
			line = line[:len(line)-1]
			if i+1 == len(lines) {
				break
			}
			i++
			line += strings.TrimLeft(lines[i], propertyBlanks)
		}
		rawKey, rawValue := splitProperty(line)
		key, kerr := unescapeProperty(rawKey)
		value, verr := unescapeProperty(rawValue)
		if err := cmp.Or(kerr, verr); err != nil {
			f.fail(fmt.Errorf("%s: %w", f.source(first), err))
			continue
		}
		f.set(key, strings.TrimFunc(value, isTrimmedBlank), first)
	}
	return f.errs
}

// propertyBlanks are the characters Java's properties format takes for
// whitespace.
const propertyBlanks = " \t\f"

// continues reports whether line ends in an odd number of backslashes: an
// unescaped one, which joins the next line to it.
func continues(line string) bool {
	n := len(line) - len(strings.TrimRight(line, `\`))
	return n%2 == 1
}

// splitProperty splits a logical line at the first "=", ":" or blank that is
// not escaped; blanks around the separator, and one "=" or ":" after blanks,
// belong to neither side.
func splitProperty(line string) (key, value string) {
	end, escaped := len(line), false
	for i := 0; i < len(line); i++ {
		ch := line[i]
		if !escaped && (ch == '=' || ch == ':' || strings.IndexByte(propertyBlanks, ch) >= 0) {
			end = i
			break
		}
		escaped = ch == '\\' && !escaped
	}
	key, rest := line[:end], line[end:]
	rest = strings.TrimLeft(rest, propertyBlanks)
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], propertyBlanks)
	}
	return key, rest
}

// unescapeProperty resolves the escapes of Java's properties format.
func unescapeProperty(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+5 > len(s) {
				return "", fmt.Errorf("malformed escape %q: \\u needs four hexadecimal digits", s[i-1:])
			}
			r, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if err != nil {
				return "", fmt.Errorf("malformed escape %q: \\u needs four hexadecimal digits", s[i-1:i+5])
			}
			b.WriteRune(rune(r))
			i += 4
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}

// isTrimmedBlank tells the characters Spark trims from a value: control
// characters and space, except line breaks (which only an escape can put in
// a value).
func isTrimmedBlank(r rune) bool { return r <= ' ' && r != '\n' && r != '\r' }
