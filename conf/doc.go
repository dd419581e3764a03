// Package conf holds gostream's configuration: one registry of every key and
// the layered loading of their values.
//
// # Keys
//
// Every key has a canonical name (gostream.…), a type, a default, a one-line
// description and, where Spark has the same setting, the Spark name it
// answers to: spark.streaming.blockInterval is gostream.streaming.blockInterval
// and spark.yarn.maxAppAttempts is gostream.yarn.maxAppAttempts. Some keys also
// answer to older Spark spellings (spark.yarn.max.executor.failures). The
// constants of this package (BlockInterval, YarnMaxAppAttempts, …) are the
// canonical names; WriteHelp lists every key. Two keys are families rather
// than single keys: gostream.executorEnv.NAME and
// gostream.yarn.appMasterEnv.NAME set environment variable NAME in the
// executors and in the application master.
//
// Types and their text forms:
//
//   - durations: an integer with a unit (us, ms, s, m or min, h, d; as in
//     Spark) or Go's forms (1h30m, 1.5s). A bare number is accepted only where
//     Spark accepts one, in the unit Spark uses for that key (milliseconds for
//     spark.streaming.blockInterval, seconds for spark.network.timeout); a bare
//     0 is always accepted.
//   - sizes: a whole number with an optional binary unit (b, k, m, g, t, p;
//     kb/kib and so on too); a bare number is in the key's unit, MiB for the
//     memory keys, as in Spark.
//   - ints (decimal), bools (true or false), enums (a fixed set of words),
//     strings, comma-separated lists, and the master (yarn, local, local[N],
//     local[*]).
//
// Units, bools, enums and the master are case-insensitive; key names are not.
//
// # Layers
//
// Load resolves a configuration from four layers, each overriding the ones
// before it:
//
//  1. the built-in defaults;
//  2. a properties file: the one given with --properties-file, which must
//     exist, or else conf/gostream-defaults.yaml in the working directory if
//     it exists. A file named *.conf or *.properties is in Spark's format, that
//     of spark-defaults.conf (Java's properties: "key value", "key=value" or
//     "key: value" lines, # and ! comments, a trailing backslash continuing a
//     line); any other file is YAML, whose keys may be flat
//     ("gostream.streaming.blockInterval: 500ms") or nested maps, whose keys
//     are joined with dots. A file without either extension whose content
//     YAML reads as a single plain value rather than a mapping, as it reads
//     Spark's "key value" lines, is read in Spark's format too. Spark names
//     are accepted in both formats; a key set twice is an error;
//  3. the environment: each key is read from GOSTREAM_ followed by the name
//     without its "gostream." prefix, upper-cased, with "." and "-" turned
//     into "_" (GOSTREAM_STREAMING_BLOCKINTERVAL; for the families,
//     GOSTREAM_EXECUTORENV_NAME with NAME as written). Other variables are
//     ignored; a GOSTREAM_ variable that names no key, most likely a
//     misspelling, is reported to Sources.Warn with the nearest key's
//     variable (a warning, not an error: the environment is shared with other
//     programs), unless Sources.OtherVars lists it;
//  4. --conf key=value overrides, in order.
//
// Conf.Environ encodes the settings made above the defaults as environment
// variables, so a child process that loads its environment gets the same
// configuration.
//
// # Errors
//
// Everything that comes from users is checked and reported as an *Error that
// names the source (file and line, environment variable, --conf), the key, the
// value and the expected form. Its Err field, which it unwraps to, is one of
// ErrUnknownKey (with the nearest known key as a suggestion), ErrUnsupportedKey
// (a Spark key gostream does not support, and why), ErrInvalidValue (malformed,
// out of range, or in conflict with another key) or ErrDuplicateKey. Load
// reports every rejected setting, joined with errors.Join.
//
// The accessors (String, Int, Bool, Duration, Size, Strings, Master,
// StringMap, IsSet) take canonical names, normally this package's constants.
// Calling one with a name that is not registered, or one of the wrong type,
// is a programming error and panics; apart from a malformed key table (caught
// when the package is initialised, so by every test), that is the only case
// in which this package panics.
//
// The package has no mutable global state: the key table is built once and
// only read. A Conf may be read concurrently; Set must not run concurrently
// with other methods of the same Conf.
package conf
