package domain

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sportello/sportello/domain/titolario"
)

// fuzzMaxInput bounds what the fuzz targets read: longer inputs take no path a shorter one
// does not, and the fuzzer, which shortens every input that finds something new, would spend
// its time on them.
const fuzzMaxInput = 4 << 10

// FuzzClassesCSV feeds files to the import of a classification scheme (POST /v1/classes as
// text/csv): the parsing, each class's rules and the tree check CreateClasses makes. A file is
// either refused with a validation error naming a line (or, when the whole file is at fault,
// saying so), or read into classes, each from a later line than the one before; classes that
// pass the rules have valid codes at their level under their parent, a tree that passes has
// every parent in it, and the classes read, written back as CSV, read the same.
func FuzzClassesCSV(f *testing.F) {
	for _, titolo := range titoli(titolario.Comuni2005) {
		f.Add(titolo)
	}
	f.Add([]byte("\ufeffCode;Title\nI;Amministrazione\n"))
	f.Add([]byte("title,code,parent,level,retention_years,valid_from,valid_to,description\n" +
		"Ambiente,XV,,1,,2026-01-01,,\n\"Tutela, \"\"verde\"\"\",XV.1,XV,2,10,2026-01-01,2030-12-31,Parchi e giardini\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > fuzzMaxInput {
			return
		}
		cs, lines, err := ParseClassesCSV(bytes.NewReader(data), "2026-01-01")
		if err != nil {
			wantLineError(t, err)
			return
		}
		if len(cs) == 0 || len(lines) != len(cs) || lines[0] < 2 {
			t.Fatalf("%d classes from lines %v", len(cs), lines)
		}
		for i := 1; i < len(lines); i++ {
			if lines[i] <= lines[i-1] {
				t.Fatalf("classes from lines %v, not in file order", lines)
			}
		}
		again, _, err := ParseClassesCSV(bytes.NewReader(writeClassesCSV(cs)), "2026-01-01")
		if err != nil || !reflect.DeepEqual(again, cs) {
			t.Fatalf("classes %+v written as CSV read back as %+v, %v", cs, again, err)
		}

		var v Validation
		for i := range cs {
			cs[i].Validate(&v, fmt.Sprintf("[%d].", i))
		}
		if err := v.Err(); err != nil {
			wantIndexError(t, err, len(cs), ECValidation)
			return
		}
		for _, c := range cs {
			if !ValidClass(c.Code) || c.Level != ClassLevel(c.Code) || c.Level > MaxClassLevel || c.Parent != ClassParent(c.Code) {
				t.Fatalf("class %+v passed the rules", c)
			}
		}
		if err := checkClassTree(cs, nil); err != nil {
			wantIndexError(t, err, len(cs), ECValidation, ECConflict)
			return
		}
		codes := map[string]bool{}
		for _, c := range cs {
			codes[c.Code] = true
		}
		for _, c := range cs {
			if c.Parent != "" && !codes[c.Parent] {
				t.Fatalf("class %s passed the tree check without its parent %s", c.Code, c.Parent)
			}
		}
	})
}

// titoli splits a scheme into one file per titolo, with its classes: the shipped scheme as
// seeds small enough for the fuzzer to shorten quickly.
func titoli(scheme []byte) [][]byte {
	lines := bytes.SplitAfter(scheme, []byte("\n"))
	var out [][]byte
	for _, l := range lines[1:] {
		if code, _, _ := bytes.Cut(l, []byte(",")); !bytes.Contains(code, []byte(".")) || out == nil {
			out = append(out, slices.Clone(lines[0]))
		}
		out[len(out)-1] = append(out[len(out)-1], l...)
	}
	return out
}

// writeClassesCSV writes classes in the import's CSV, every column.
func writeClassesCSV(cs []Class) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(ClassCSVColumns)
	for _, c := range cs {
		level, retention := "", ""
		if c.Level != 0 {
			level = strconv.Itoa(c.Level)
		}
		if c.RetentionYears != nil {
			retention = strconv.Itoa(*c.RetentionYears)
		}
		w.Write([]string{c.Code, level, c.Parent, c.Title, c.Description, retention, c.ValidFrom, c.ValidTo})
	}
	w.Flush()
	return b.Bytes()
}

// wantLineError fails unless err is a validation error whose fields each name a line of the
// file ("line 3", "line 1: code"), or one about the whole file, with no field.
func wantLineError(t *testing.T, err error) {
	t.Helper()
	e := wantError(t, err, ECValidation)
	for _, f := range e.Fields {
		rest, ok := strings.CutPrefix(f.Field, "line ")
		n, _, _ := strings.Cut(rest, ":")
		if line, err := strconv.Atoi(n); !ok || err != nil || line < 1 || f.Message == "" {
			t.Fatalf("field %q (%s) names no line: %v", f.Field, f.Message, e)
		}
	}
}

// wantIndexError fails unless err is an error with one of codes whose fields each name one of
// n classes by index ("[3].code"), which the API turns into the class's line.
func wantIndexError(t *testing.T, err error, n int, codes ...ErrorCode) {
	t.Helper()
	e := wantError(t, err, codes...)
	if len(e.Fields) == 0 {
		t.Fatalf("error names no class: %v", e)
	}
	for _, f := range e.Fields {
		rest, ok := strings.CutPrefix(f.Field, "[")
		idx, field, ok2 := strings.Cut(rest, "].")
		if i, err := strconv.Atoi(idx); !ok || !ok2 || err != nil || i < 0 || i >= n || field == "" || f.Message == "" {
			t.Fatalf("field %q (%s) names none of %d classes: %v", f.Field, f.Message, n, e)
		}
	}
}

// wantError fails unless err is a *Error with one of codes and a message.
func wantError(t *testing.T, err error, codes ...ErrorCode) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Message == "" {
		t.Fatalf("error %v (%T) is not a domain error with a message", err, err)
	}
	for _, c := range codes {
		if e.Code == c {
			return e
		}
	}
	t.Fatalf("error code %s, want one of %v: %v", e.Code, codes, e)
	return nil
}
