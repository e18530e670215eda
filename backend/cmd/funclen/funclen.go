package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Func is one function, method or function literal and its length.
type Func struct {
	File  string
	Line  int
	Name  string // "Name", "(*Recv).Name", or "func literal in Name"
	Lines int
}

// measureFile parses a Go file and measures its functions; a generated
// file has none.
func measureFile(path string) ([]Func, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return measure(path, src)
}

// measure measures the functions of one file's source, in source order.
func measure(path string, src []byte) ([]Func, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, path, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	if ast.IsGenerated(file) {
		return nil, nil
	}
	var out []Func
	add := func(name string, from, to token.Pos) {
		start, end := fset.Position(from), fset.Position(to)
		out = append(out, Func{File: path, Line: start.Line, Name: name, Lines: end.Line - start.Line + 1})
	}
	for _, d := range file.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			// Literals outside functions: a package-level var's initialiser.
			ast.Inspect(d, func(n ast.Node) bool {
				if lit, ok := n.(*ast.FuncLit); ok {
					add("func literal at package level", lit.Pos(), lit.End())
				}
				return true
			})
			continue
		}
		name := funcName(fd)
		if fd.Body == nil {
			continue // declared here, implemented in assembly
		}
		add(name, fd.Pos(), fd.End())
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			if lit, ok := n.(*ast.FuncLit); ok {
				add("func literal in "+name, lit.Pos(), lit.End())
			}
			return true
		})
	}
	return out, nil
}

// funcName names a function as the compiler does: F, Recv.M or (*Recv).M.
func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	star := false
	if s, ok := t.(*ast.StarExpr); ok {
		star, t = true, s.X
	}
	switch x := t.(type) { // a generic receiver: T[K] or T[K, V]
	case *ast.IndexExpr:
		t = x.X
	case *ast.IndexListExpr:
		t = x.X
	}
	recv := "?"
	if id, ok := t.(*ast.Ident); ok {
		recv = id.Name
	}
	if star {
		return "(*" + recv + ")." + fd.Name.Name
	}
	return recv + "." + fd.Name.Name
}

// longer returns the functions of funcs longer than limit lines.
func longer(funcs []Func, limit int) []Func {
	var out []Func
	for _, f := range funcs {
		if f.Lines > limit {
			out = append(out, f)
		}
	}
	return out
}

// sortLongestFirst orders funcs longest first, then by file and line.
func sortLongestFirst(funcs []Func) {
	slices.SortStableFunc(funcs, func(a, b Func) int {
		if a.Lines != b.Lines {
			return b.Lines - a.Lines
		}
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
}

func isTest(path string) bool { return strings.HasSuffix(path, "_test.go") }

// expand turns the arguments into the .go files they name, sorted and
// without repeats: "dir/..." is every folder under dir, "dir" its own
// files, "f.go" that file.
func expand(args []string) ([]string, error) {
	seen := map[string]bool{}
	var files []string
	addDir := func(dir string) error {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("read folder %s: %w", dir, err)
		}
		for _, e := range entries {
			if p := filepath.Join(dir, e.Name()); !e.IsDir() && strings.HasSuffix(e.Name(), ".go") && !seen[p] {
				seen[p] = true
				files = append(files, p)
			}
		}
		return nil
	}
	for _, arg := range args {
		switch {
		case arg == "..." || strings.HasSuffix(arg, "/..."):
			root := filepath.Clean(strings.TrimSuffix(strings.TrimSuffix(arg, "..."), "/"))
			if root == "" {
				root = "."
			}
			err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if !d.IsDir() {
					return nil
				}
				if p != root && skipDir(d.Name()) {
					return filepath.SkipDir
				}
				return addDir(p)
			})
			if err != nil {
				return nil, fmt.Errorf("walk %s: %w", arg, err)
			}
		case strings.HasSuffix(arg, ".go"):
			if p := filepath.Clean(arg); !seen[p] {
				if _, err := os.Stat(p); err != nil {
					return nil, fmt.Errorf("read %s: %w", arg, err)
				}
				seen[p] = true
				files = append(files, p)
			}
		default:
			if err := addDir(filepath.Clean(arg)); err != nil {
				return nil, err
			}
		}
	}
	slices.Sort(files)
	return files, nil
}

// skipDir reports the folders the go command leaves out of "./...".
func skipDir(name string) bool {
	return name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}
