package domain

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestServiceFilesNamePorts keeps each service file's note of the ports it uses true: the
// note must name exactly the small interfaces of Store whose methods the file calls.
func TestServiceFilesNamePorts(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	parsed := map[string]*ast.File{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		parsed[name] = f
	}
	portOf := storePorts(t, parsed["ports.go"])
	note := regexp.MustCompile(`^The services in this file use the ports? (.+) \(ports\.go\)\.$`)
	for name, f := range parsed {
		var want []string
		ast.Inspect(f, func(n ast.Node) bool {
			// s.Store.Method
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if inner, ok := sel.X.(*ast.SelectorExpr); ok && inner.Sel.Name == "Store" {
					if port, ok := portOf[sel.Sel.Name]; ok && !slices.Contains(want, port) {
						want = append(want, port)
					}
				}
			}
			return true
		})
		var got []string
		for _, c := range f.Comments {
			if m := note.FindStringSubmatch(strings.TrimSpace(c.Text())); m != nil {
				got = strings.FieldsFunc(m[1], func(r rune) bool { return r == ',' || r == ' ' })
				got = slices.DeleteFunc(got, func(s string) bool { return s == "and" })
			}
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: the note names the ports %v, the file uses %v", name, got, want)
		}
	}
}

// storePorts maps each method of Store to the small interface that declares it.
func storePorts(t *testing.T, f *ast.File) map[string]string {
	t.Helper()
	ports := map[string]*ast.InterfaceType{}
	ast.Inspect(f, func(n ast.Node) bool {
		if ts, ok := n.(*ast.TypeSpec); ok {
			if it, ok := ts.Type.(*ast.InterfaceType); ok {
				ports[ts.Name.Name] = it
			}
		}
		return true
	})
	portOf := map[string]string{}
	for _, embedded := range ports["Store"].Methods.List {
		name := embedded.Type.(*ast.Ident).Name
		for _, m := range ports[name].Methods.List {
			for _, id := range m.Names {
				portOf[id.Name] = name
			}
		}
	}
	if len(portOf) == 0 {
		t.Fatal("ports.go declares no Store method")
	}
	return portOf
}
