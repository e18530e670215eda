package main

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// module is what the report needs of a wasm binary.
type module struct {
	Imports   int            // imported functions: they come first in the function index space
	CodeSizes []int          // each defined function's body, in bytes
	Names     map[int]string // function index → name, from the name section
	Data      int            // bytes of the data section
}

var errShort = errors.New("the binary ends early")

type reader struct {
	b   []byte
	off int
}

func (r *reader) byte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, errShort
	}
	r.off++
	return r.b[r.off-1], nil
}

func (r *reader) uleb() (int, error) {
	var v uint64
	for shift := uint(0); shift < 35; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			return int(v), nil
		}
	}
	return 0, fmt.Errorf("a LEB128 number at %d is too long", r.off)
}

func (r *reader) bytes(n int) ([]byte, error) {
	if n < 0 || n > len(r.b)-r.off {
		return nil, errShort
	}
	r.off += n
	return r.b[r.off-n : r.off], nil
}

func (r *reader) name() (string, error) {
	n, err := r.uleb()
	if err != nil {
		return "", err
	}
	b, err := r.bytes(n)
	return string(b), err
}

// parse reads the sections the report needs: imports (to count imported
// functions), code (body sizes), data (its size) and the name section.
func parse(b []byte) (*module, error) {
	if len(b) < 8 || string(b[:4]) != "\x00asm" {
		return nil, errors.New("not a WebAssembly binary")
	}
	m := &module{Names: map[int]string{}}
	r := &reader{b: b, off: 8}
	for r.off < len(b) {
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		n, err := r.uleb()
		if err != nil {
			return nil, err
		}
		body, err := r.bytes(n)
		if err != nil {
			return nil, fmt.Errorf("section %d: %w", id, err)
		}
		s := &reader{b: body}
		switch id {
		case 0:
			err = m.custom(s)
		case 2:
			err = m.imports(s)
		case 10:
			err = m.code(s)
		case 11:
			m.Data = n
		}
		if err != nil {
			return nil, fmt.Errorf("section %d: %w", id, err)
		}
	}
	return m, nil
}

func (m *module) imports(s *reader) error {
	count, err := s.uleb()
	if err != nil {
		return err
	}
	for i := 0; i < count; i++ {
		if _, err := s.name(); err != nil {
			return err
		}
		if _, err := s.name(); err != nil {
			return err
		}
		kind, err := s.byte()
		if err != nil {
			return err
		}
		if err := skipImport(s, kind); err != nil {
			return err
		}
		if kind == 0 {
			m.Imports++
		}
	}
	return nil
}

// skipImport skips an import's description of the given kind.
func skipImport(s *reader, kind byte) error {
	var err error
	switch kind {
	case 0: // function: a type index
		_, err = s.uleb()
	case 1: // table: a reference type and limits
		if _, err = s.byte(); err == nil {
			err = skipLimits(s)
		}
	case 2: // memory: limits
		err = skipLimits(s)
	case 3: // global: a value type and mutability
		_, err = s.bytes(2)
	default:
		err = fmt.Errorf("unknown import kind %d", kind)
	}
	return err
}

func skipLimits(s *reader) error {
	flags, err := s.byte()
	if err != nil {
		return err
	}
	if _, err := s.uleb(); err != nil {
		return err
	}
	if flags&1 != 0 {
		_, err = s.uleb()
	}
	return err
}

func (m *module) code(s *reader) error {
	count, err := s.uleb()
	if err != nil {
		return err
	}
	for i := 0; i < count; i++ {
		n, err := s.uleb()
		if err != nil {
			return err
		}
		if _, err := s.bytes(n); err != nil {
			return err
		}
		m.CodeSizes = append(m.CodeSizes, n)
	}
	return nil
}

// custom reads the function names of the "name" section.
func (m *module) custom(s *reader) error {
	name, err := s.name()
	if err != nil || name != "name" {
		return err
	}
	for s.off < len(s.b) {
		id, err := s.byte()
		if err != nil {
			return err
		}
		n, err := s.uleb()
		if err != nil {
			return err
		}
		sub, err := s.bytes(n)
		if err != nil {
			return err
		}
		if id != 1 {
			continue
		}
		f := &reader{b: sub}
		count, err := f.uleb()
		if err != nil {
			return err
		}
		for i := 0; i < count; i++ {
			idx, err := f.uleb()
			if err != nil {
				return err
			}
			if m.Names[idx], err = f.name(); err != nil {
				return err
			}
		}
	}
	return nil
}

// pkgOf is the package of a function name as Go's wasm linker writes
// it, the package path with "/" (and "-", and the dots of its path) as
// "_": "github.com_a_b.__T_.M" → "github.com_a_b", "runtime.mallocgc" →
// "runtime". A domain's dot ("github.com_…") is part of the path.
func pkgOf(sym string) string {
	if sym == "" {
		return "(unnamed)"
	}
	dot := strings.Index(sym, ".")
	if dot < 0 {
		return sym
	}
	if m := domainTail.FindStringIndex(sym[dot+1:]); m != nil {
		if next := strings.Index(sym[dot+1+m[1]:], "."); next >= 0 {
			return sym[:dot+1+m[1]+next]
		}
		return sym
	}
	return sym[:dot]
}

// domainTail matches what follows a domain's dot: "com_", "org_", "in_".
var domainTail = regexp.MustCompile(`^[a-z0-9]+_`)
