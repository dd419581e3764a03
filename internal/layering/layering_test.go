package layering

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// A rule says which module packages a package may import. Names are relative
// to the module, "." being its root package. As in go list patterns, a
// trailing "..." matches any string and "x/..." matches x too.
type rule struct {
	pkg   string   // the package, or the family of packages, it is for
	why   string   // the package's place in the layering
	may   []string // the module packages it may import
	tests []string // what its tests may import besides those (and the package itself)
}

// Every package may import the contract of the environment variables that
// gostream's processes hand each other, which every role reads.
var everyone = []string{"internal/procenv", "internal/env..."}

// A package follows the rule naming it, else the family rule with the longest
// pattern that matches it. Allow only what the design allows, not whatever a
// change happens to need.
var rules = []rule{
	// Leaves.
	{pkg: "conf", why: "the configuration registry, a leaf"},
	{pkg: "internal/procenv", why: "the environment contract, a leaf every package may import"},
	{pkg: "internal/env...", why: "the environment contract, a leaf every package may import"},
	{pkg: "internal/layering", why: "this check, a leaf"},
	{pkg: "internal/logtest", why: "a log recorder for tests, a leaf"},

	// The engine: never YARN, Hadoop, the executor runtime, the roles (root) or
	// the commands. It sees executors only through engine/cluster.
	{pkg: "engine/task", why: "the task model, the engine's bottom"},
	{pkg: "engine/rdd", why: "batch datasets, on the task model", may: []string{"engine/task"}},
	{pkg: "engine/cluster", why: "the runtime seam's types", may: []string{"engine/rdd", "engine/task"}},
	{pkg: "engine", why: "the author's API and the engine",
		may:   []string{"conf", "engine/cluster", "engine/rdd", "engine/task", "hdfsstore"},
		tests: []string{"engine/streamtest", "internal/logtest"}},
	{pkg: "engine/streamtest", why: "the public test harness, on the author's API", may: []string{"conf", "engine"}},
	{pkg: "engine/internal/chaosapp", why: "a test application, on the author's API",
		may: []string{"engine"}, tests: []string{"conf"}},

	// Storage: below the engine, on the Hadoop layer.
	{pkg: "hdfsstore", why: "the file-system seam, below the engine",
		may:   []string{"internal/hadoop/...", "internal/hadoopconf"},
		tests: []string{"hdfsstore/fstest", "testcluster"}},
	{pkg: "hdfsstore/fstest", why: "the FS contract suite", may: []string{"hdfsstore"}},

	// Hadoop: site files, messages, RPC, security. New packages under
	// internal/hadoop stay in this layer.
	{pkg: "internal/hadoopconf", why: "the Hadoop site files, a leaf"},
	{pkg: "internal/hadoop/...", why: "the Hadoop layer, on itself and the site files",
		may: []string{"internal/hadoop/...", "internal/hadoopconf"}},
	{pkg: "internal/hadoop/hadooppb", why: "generated Hadoop messages, a leaf"},
	{pkg: "internal/hadoop/yarnpb", why: "generated YARN messages", may: []string{"internal/hadoop/hadooppb"}},
	{pkg: "internal/hadoop/sasl", why: "DIGEST-MD5, a leaf"},
	{pkg: "internal/hadoop/token", why: "tokens and credentials files", may: []string{"internal/hadoop/hadooppb"}},
	{pkg: "internal/hadoop/ipc", why: "the Hadoop IPC client",
		may:   []string{"internal/hadoop/hadooppb", "internal/hadoop/sasl", "internal/hadoop/token"},
		tests: []string{"internal/hadoop/ipc/ipctest"}},
	{pkg: "internal/hadoop/ipc/ipctest", why: "the fake IPC server for tests",
		may: []string{"internal/hadoop/hadooppb", "internal/hadoop/ipc", "internal/hadoop/sasl", "internal/hadoop/token"}},

	// YARN, from its records up to the AM. The executor runtime has no YARN
	// code; the client never imports the AM or what runs in containers.
	{pkg: "internal/yarn", why: "YARN's records, talking to nothing", may: []string{"internal/hadoop/yarnpb"}},
	{pkg: "internal/yarn/nodemanager", why: "the NodeManager client",
		may: []string{"internal/hadoop/...", "internal/yarn"}},
	{pkg: "client", why: "the ResourceManager client and staging",
		may:   []string{"hdfsstore", "internal/hadoop/...", "internal/hadoopconf", "internal/yarn"},
		tests: []string{"testcluster"}},
	{pkg: "container", why: "the executor runtime, driver endpoint and shuffle: no YARN code, the engine only through engine/cluster",
		may:   []string{"engine/cluster", "engine/rdd", "engine/task"},
		tests: []string{"conf", "engine", "internal/logtest"}},
	{pkg: "am", why: "the application master, running the driver in-process (asking the RM's client protocol which attempts failed)",
		may: []string{"client", "conf", "container", "engine", "engine/cluster", "hdfsstore",
			"internal/hadoop/...", "internal/hadoopconf", "internal/yarn", "internal/yarn/nodemanager", "metrics", "ui"},
		tests: []string{"internal/logtest"}},
	{pkg: "internal/yarnctl", why: "what the command-line tools do with a cluster (reading the status page)",
		may: []string{"client", "hdfsstore", "internal/hadoop/...", "internal/hadoopconf", "internal/yarn", "ui"}},

	// Monitoring: the processes' metrics and the driver's status page, which
	// the AM and a driver outside YARN serve alike.
	{pkg: "metrics", why: "the processes' Prometheus metrics, fed by the engine's events", may: []string{"engine", "engine/task"}},
	{pkg: "ui", why: "the driver's status page in every mode",
		may: []string{"container", "engine"}},

	// The top: nothing imports these but examples (the root) and tests.
	{pkg: ".", why: "gostream.Main, linking every role (and owning the roles' HDFS connections and monitoring servers)",
		may: []string{"am", "conf", "container", "engine", "hdfsstore", "metrics", "ui"}},
	{pkg: "cmd/...", why: "the commands",
		may: []string{"am", "client", "conf", "container", "engine", "hdfsstore",
			"internal/hadoop/...", "internal/hadoopconf", "internal/yarn", "internal/yarnctl", "ui"},
		tests: []string{"internal/yarntest", "testcluster"}},
	{pkg: "examples/...", why: "applications, on the author's API", may: []string{".", "engine", "hdfsstore"},
		tests: []string{"internal/yarntest", "ui"}},
	{pkg: "testcluster", why: "the Hadoop test cluster, standalone"},
	{pkg: "internal/yarntest", why: "integration-test helpers",
		may: []string{"am", "client", "hdfsstore", "internal/hadoopconf", "internal/yarn", "internal/yarnctl", "testcluster", "ui"}},
	{pkg: "scripts", why: "integration tests of the operator scripts, and the fault soak (testcluster's faults)",
		tests: []string{"am", "client", "internal/yarn", "internal/yarnctl", "internal/yarntest", "testcluster", "ui"}},
}

func TestLayering(t *testing.T) {
	for _, p := range listModule(t) {
		r := ruleFor(p.name)
		if r == nil {
			t.Errorf("no rule for package %s: add a rule for package %s in internal/layering (layering_test.go)", p.name, p.name)
			continue
		}
		for _, imp := range p.imports {
			if !allowed(imp, r.may) {
				t.Errorf("%s imports %s, which breaks the rule for %s (%s): it may import %s",
					p.name, imp, r.pkg, r.why, list(r.may))
			}
		}
		testMay := slices.Concat(r.may, r.tests, []string{p.name})
		for _, imp := range p.testImports {
			if !allowed(imp, testMay) {
				t.Errorf("the tests of %s import %s, which breaks the rule for %s (%s): they may import %s",
					p.name, imp, r.pkg, r.why, list(slices.Concat(r.may, r.tests)))
			}
		}
	}
}

// pkg is a package of the module and the module packages it imports, by
// names relative to the module.
type pkg struct {
	name        string
	imports     []string
	testImports []string // of its in-package and external tests
}

// listModule asks go list for the module's packages, with the integration
// tests' files (build tags only add files here).
func listModule(t *testing.T) []pkg {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "list", "-tags", "integration",
		"-json=ImportPath,Module,Imports,TestImports,XTestImports", "./...")
	cmd.Dir = "../.." // the module root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list in %s: %v\n%s", cmd.Dir, err, stderr.Bytes())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var l struct {
			ImportPath                         string
			Module                             struct{ Path string }
			Imports, TestImports, XTestImports []string
		}
		if err := dec.Decode(&l); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("reading go list's output: %v", err)
		}
		mod := l.Module.Path
		pkgs = append(pkgs, pkg{
			name:        relative(mod, l.ImportPath),
			imports:     inModule(mod, l.Imports),
			testImports: inModule(mod, slices.Concat(l.TestImports, l.XTestImports)),
		})
	}
	if !slices.ContainsFunc(pkgs, func(p pkg) bool { return p.name == "." }) {
		t.Fatalf("go list in %s did not list the module's root package: is %s still the module root?", cmd.Dir, cmd.Dir)
	}
	return pkgs
}

// relative is the name of path in module mod: "." for the root, "" outside it.
func relative(mod, path string) string {
	if path == mod {
		return "."
	}
	rest, ok := strings.CutPrefix(path, mod+"/")
	if !ok {
		return ""
	}
	return rest
}

// inModule returns the sorted names of the module packages among paths.
func inModule(mod string, paths []string) []string {
	var names []string
	for _, p := range paths {
		if n := relative(mod, p); n != "" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// ruleFor returns the rule name follows, or nil.
func ruleFor(name string) *rule {
	var best *rule
	for i := range rules {
		r := &rules[i]
		if r.pkg == name {
			return r
		}
		if matches(r.pkg, name) && (best == nil || len(r.pkg) > len(best.pkg)) {
			best = r
		}
	}
	return best
}

// allowed reports whether name matches one of the patterns or is importable
// by every package.
func allowed(name string, patterns []string) bool {
	for _, p := range slices.Concat(patterns, everyone) {
		if matches(p, name) {
			return true
		}
	}
	return false
}

// matches reports whether name matches pattern, as go list patterns match.
func matches(pattern, name string) bool {
	prefix, wild := strings.CutSuffix(pattern, "...")
	if !wild {
		return name == pattern
	}
	return strings.HasPrefix(name, prefix) || name+"/" == prefix
}

// list says a list of patterns in a failure message.
func list(patterns []string) string {
	if len(patterns) == 0 {
		return "no module package"
	}
	return "only " + strings.Join(patterns, ", ")
}

// The matching the rules rely on.
func TestMatches(t *testing.T) {
	for _, c := range []struct {
		pattern, name string
		want          bool
	}{
		{"engine", "engine", true},
		{"engine", "engine/rdd", false},
		{"internal/hadoop/...", "internal/hadoop", true},
		{"internal/hadoop/...", "internal/hadoop/security", true},
		{"internal/hadoop/...", "internal/hadoopconf", false},
		{"internal/env...", "internal/environ", true},
		{".", "conf", false},
	} {
		if got := matches(c.pattern, c.name); got != c.want {
			t.Errorf("matches(%q, %q) = %v, want %v", c.pattern, c.name, got, c.want)
		}
	}
	if r := ruleFor("internal/hadoop/security"); r == nil || r.pkg != "internal/hadoop/..." {
		t.Errorf("a new package under internal/hadoop does not follow the internal/hadoop/... rule")
	}
}
