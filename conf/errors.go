package conf

import (
	"errors"
	"fmt"
	"strings"
)

// The classes of configuration errors. An *Error unwraps to one of them, so
// callers can test errors.Is(err, conf.ErrUnknownKey).
var (
	// ErrUnknownKey: the key is neither a gostream key nor a Spark name of one.
	ErrUnknownKey = errors.New("unknown configuration key")
	// ErrUnsupportedKey: a Spark key that gostream does not support.
	ErrUnsupportedKey = errors.New("unsupported configuration key")
	// ErrInvalidValue: a malformed or out-of-range value, or a value that
	// conflicts with another key's.
	ErrInvalidValue = errors.New("invalid configuration value")
	// ErrDuplicateKey: a properties file sets the same key twice.
	ErrDuplicateKey = errors.New("duplicate configuration key")
)

// Error describes a setting gostream rejects, or one Load ignores and warns
// about (Sources.Warn). Load may return several joined with errors.Join;
// errors.As finds the first.
type Error struct {
	// Source says where the setting came from: "--conf", "environment
	// variable GOSTREAM_…", "FILE:LINE" for a properties file, or "" for
	// Conf.Set and Conf.Validate of values set with Conf.Set.
	Source string
	// Key is the key as the user wrote it (possibly a Spark name); empty when
	// a --conf argument has no "=", or for an environment variable that names
	// no key (Source names the variable).
	Key string
	// Value is the rejected value; empty for key errors.
	Value string
	// Reason says what is wrong and what is expected.
	Reason string
	// Suggestion is, for ErrUnknownKey, the nearest known key (or, for an
	// environment variable, the nearest key's variable), if any.
	Suggestion string
	// Err is the class: ErrUnknownKey, ErrUnsupportedKey, ErrInvalidValue or
	// ErrDuplicateKey.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Source != "" {
		b.WriteString(e.Source)
		b.WriteString(": ")
	}
	switch e.Err {
	case ErrUnknownKey:
		if e.Key == "" {
			b.WriteString("unknown configuration variable")
		} else {
			fmt.Fprintf(&b, "unknown configuration key %q", e.Key)
		}
		if e.Suggestion != "" {
			fmt.Fprintf(&b, " (did you mean %q?)", e.Suggestion)
		}
		if e.Reason != "" {
			b.WriteString(": ")
			b.WriteString(e.Reason)
		}
	case ErrUnsupportedKey:
		fmt.Fprintf(&b, "configuration key %q is not supported by gostream", e.Key)
		if e.Reason != "" {
			b.WriteString(": ")
			b.WriteString(e.Reason)
		}
	case ErrDuplicateKey:
		fmt.Fprintf(&b, "configuration key %q set twice: %s", e.Key, e.Reason)
	default:
		if e.Key == "" {
			fmt.Fprintf(&b, "invalid setting %q: %s", e.Value, e.Reason)
		} else {
			fmt.Fprintf(&b, "invalid value %q for %s: %s", e.Value, e.keyText(), e.Reason)
		}
	}
	return b.String()
}

// keyText names the key as written and, for a Spark name, the gostream key.
func (e *Error) keyText() string {
	if _, canon, ok := lookup(e.Key); ok && canon != e.Key {
		return fmt.Sprintf("%s (%s)", e.Key, canon)
	}
	return e.Key
}

func (e *Error) Unwrap() error { return e.Err }
