package conf

import (
	"fmt"
	"iter"
	"strings"
)

// EnvPrefix starts the name of every environment variable the environment
// layer reads.
const EnvPrefix = "GOSTREAM_"

const canonicalPrefix = "gostream."

// registry indexes the key table. It is built once, while the package is
// initialised, and only read afterwards.
type registry struct {
	keys     []*key           // every key, in help order
	byName   map[string]*key  // canonical names of single keys
	bySpark  map[string]*key  // Spark names of single keys
	byEnv    map[string]*key  // environment variable names of single keys
	prefixes []*key           // key families (key.prefix)
	defaults map[string]value // parsed defaults of single keys
}

var reg = newRegistry()

// newRegistry indexes sections. An inconsistent table (a duplicate name, a
// default that does not parse) is a programming error: it panics, so every
// test run catches it.
func newRegistry() *registry {
	r := &registry{
		byName:   map[string]*key{},
		bySpark:  map[string]*key{},
		byEnv:    map[string]*key{},
		defaults: map[string]value{},
	}
	names := map[string]bool{}
	claim := func(n string) {
		if names[n] {
			panic("conf: key table: name " + n + " used twice")
		}
		names[n] = true
	}
	for i := range sections {
		for j := range sections[i].keys {
			k := &sections[i].keys[j]
			if !strings.HasPrefix(k.name, canonicalPrefix) || k.doc == "" ||
				(k.kind == kindSize && k.unit <= 0) || (k.kind == kindEnum && len(k.enum) == 0) {
				panic("conf: key table: bad entry " + k.name)
			}
			r.keys = append(r.keys, k)
			claim(k.name)
			for _, s := range k.spark {
				if !strings.HasPrefix(s, "spark.") {
					panic("conf: key table: bad Spark name " + s)
				}
				claim(s)
			}
			env := envName(k.name)
			if k.prefix {
				env += "_"
			}
			claim(env)
			if k.prefix {
				r.prefixes = append(r.prefixes, k)
				continue
			}
			r.byName[k.name] = k
			r.byEnv[env] = k
			for _, s := range k.spark {
				r.bySpark[s] = k
			}
			text, v, err := parseValue(k, k.def)
			if err != nil {
				panic(fmt.Sprintf("conf: key table: default of %s: %v", k.name, err))
			}
			r.defaults[k.name] = value{text: text, v: v}
		}
	}
	// A family's variables must not be mistaken for a single key's.
	for _, p := range r.prefixes {
		pre := envName(p.name) + "_"
		for env := range r.byEnv {
			if strings.HasPrefix(env, pre) {
				panic("conf: key table: " + env + " falls in the family " + p.name)
			}
		}
		for _, q := range r.prefixes {
			if q != p && strings.HasPrefix(envName(q.name)+"_", pre) {
				panic("conf: key table: families " + p.name + " and " + q.name + " overlap")
			}
		}
	}
	return r
}

// envName turns a canonical name into its environment variable name:
// GOSTREAM_ and the rest of the name upper-cased, with "." and "-" as "_".
func envName(canonical string) string {
	rest := strings.TrimPrefix(canonical, canonicalPrefix)
	rest = strings.NewReplacer(".", "_", "-", "_").Replace(rest)
	return EnvPrefix + strings.ToUpper(rest)
}

// EnvVar returns the environment variable that sets key (a gostream or Spark
// name; for a family such as gostream.executorEnv.NAME, the full name), or ""
// if key is not a known key.
func EnvVar(key string) string {
	k, canon, ok := lookup(key)
	if !ok {
		return ""
	}
	if k.prefix {
		return envName(k.name) + "_" + strings.TrimPrefix(canon, k.name+".")
	}
	return envName(canon)
}

// YARNOnly reports whether key (a gostream or Spark name, or a member of a
// family) has an effect only with master yarn, so that setting it for a
// local master is probably a mistake. It is false for unknown keys.
func YARNOnly(key string) bool {
	k, _, ok := lookup(key)
	return ok && k.yarnOnly
}

// lookup finds the key that name (canonical or Spark) stands for and returns
// the canonical name. For a family it does not check the suffix.
func lookup(name string) (k *key, canonical string, ok bool) {
	if k := reg.byName[name]; k != nil {
		return k, name, true
	}
	if k := reg.bySpark[name]; k != nil {
		return k, k.name, true
	}
	for _, k := range reg.prefixes {
		for _, p := range append([]string{k.name}, k.spark...) {
			if sfx, found := strings.CutPrefix(name, p+"."); found {
				return k, k.name + "." + sfx, true
			}
		}
	}
	return nil, "", false
}

// resolve finds the key name stands for, or explains why there is none.
func resolve(name string) (*key, string, *Error) {
	k, canon, ok := lookup(name)
	if ok {
		if k.prefix {
			if sfx := strings.TrimPrefix(canon, k.name+"."); !validEnvName(sfx) {
				return nil, "", &Error{Key: name, Err: ErrUnknownKey,
					Reason: fmt.Sprintf("%q after %s. must be an environment variable name (letters, digits and _, not starting with a digit)", sfx, strings.TrimSuffix(name, "."+sfx))}
			}
		}
		return k, canon, nil
	}
	for _, k := range reg.prefixes {
		for _, p := range append([]string{k.name}, k.spark...) {
			if name == p {
				return nil, "", &Error{Key: name, Err: ErrUnknownKey,
					Reason: fmt.Sprintf("set %s.NAME=value for each environment variable NAME", name)}
			}
		}
	}
	suggestion := suggest(name)
	if reason, exact, ok := unsupportedReason(name); ok && (exact || suggestion == "") {
		return nil, "", &Error{Key: name, Reason: reason, Err: ErrUnsupportedKey}
	}
	return nil, "", &Error{Key: name, Suggestion: suggestion, Err: ErrUnknownKey}
}

func validEnvName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for _, c := range []byte(s) {
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// suggest returns the known key nearest to name, or "" if none is near.
func suggest(name string) string {
	if !strings.HasPrefix(name, canonicalPrefix) && !strings.HasPrefix(name, "spark.") {
		if k := reg.byName[canonicalPrefix+name]; k != nil {
			return k.name
		}
	}
	return nearest(name, func(yield func(string) bool) {
		for _, k := range reg.keys {
			if k.prefix {
				continue
			}
			for _, n := range append([]string{k.name}, k.spark...) {
				if !yield(n) {
					return
				}
			}
		}
	})
}

// suggestEnv returns the environment variable of a key nearest to name, or
// "" if none is near.
func suggestEnv(name string) string {
	return nearest(name, func(yield func(string) bool) {
		for _, k := range reg.keys {
			if !k.prefix && !yield(envName(k.name)) {
				return
			}
		}
	})
}

// nearest returns the first candidate nearest to name, ignoring case, or ""
// if none is near enough to be what name meant.
func nearest(name string, candidates iter.Seq[string]) string {
	lower := strings.ToLower(name)
	best, bestDist := "", -1
	for cand := range candidates {
		d := editDistance(lower, strings.ToLower(cand))
		if bestDist < 0 || d < bestDist {
			best, bestDist = cand, d
		}
	}
	if bestDist < 0 || bestDist > max(2, len(name)/5) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
