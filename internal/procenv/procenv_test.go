package procenv

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestVarsListsEveryVariable keeps Vars in step with the constants: a
// variable missing from it would be taken for a misspelled configuration key.
func TestVarsListsEveryVariable(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "procenv.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var consts []string
	ast.Inspect(f, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if v, err := strconv.Unquote(lit.Value); err == nil && strings.HasPrefix(v, "GOSTREAM_") {
				consts = append(consts, v)
			}
		}
		return true
	})
	vars := Vars()
	for _, c := range consts {
		if !slices.Contains(vars, c) {
			t.Errorf("Vars() lacks %s", c)
		}
	}
	if len(vars) != len(consts) {
		t.Errorf("Vars() = %q, want the %d constants %q", vars, len(consts), consts)
	}
}
