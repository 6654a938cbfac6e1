package domain

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// ClassCSVColumns are the columns of a classification scheme in CSV: the first four are
// required, in any order; the others may be left out.
var ClassCSVColumns = []string{"code", "level", "parent", "title", "description", "retention_years", "valid_from", "valid_to"}

// ParseClassesCSV reads a scheme in CSV with a header row naming ClassCSVColumns. An empty
// valid_from becomes validFrom; an empty retention_years means permanent. It checks only the
// shape of the file and of each value; the rules are checked when the classes are created.
// It returns the classes with the line of the file each came from (the header is line 1), so
// that later errors can name it. Returns validation_failed naming `line N: column`.
func ParseClassesCSV(r io.Reader, validFrom string) ([]Class, []int, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, Errorf(ECValidation, "the CSV is empty: want a header row %s", strings.Join(ClassCSVColumns, ","))
	}
	if err != nil {
		return nil, nil, csvError(err)
	}
	col := map[string]int{}
	var v Validation
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(ClassCSVColumns, h) {
			v.Add("line 1: "+h, "unknown column: want %s", strings.Join(ClassCSVColumns, ","))
		} else if _, dup := col[h]; dup {
			v.Add("line 1: "+h, "repeated column")
		}
		col[h] = i
	}
	for _, required := range ClassCSVColumns[:4] {
		if _, ok := col[required]; !ok {
			v.Add("line 1: "+required, "missing column")
		}
	}
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	var (
		classes []Class
		lines   []int
	)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if len(rec) != len(header) {
			v.Add(fmt.Sprintf("line %d", line), "has %d fields, the header %d", len(rec), len(header))
			continue
		}
		c := Class{Code: get("code"), Parent: get("parent"), Title: get("title"), Description: get("description"),
			ValidFrom: cmpOr(get("valid_from"), validFrom), ValidTo: get("valid_to")}
		if s := get("level"); s != "" {
			if c.Level, err = strconv.Atoi(s); err != nil {
				v.Add(fmt.Sprintf("line %d: level", line), "must be 1, 2 or 3, not %q", s)
			}
		}
		if s := get("retention_years"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				v.Add(fmt.Sprintf("line %d: retention_years", line), "must be a number of years or empty, not %q", s)
			}
			c.RetentionYears = &n
		}
		classes, lines = append(classes, c), append(lines, line)
	}
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	if len(classes) == 0 {
		return nil, nil, Errorf(ECValidation, "the CSV has a header but no class")
	}
	return classes, lines, nil
}

// csvError reports a malformed CSV, naming the line.
func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		var v Validation
		v.Add(fmt.Sprintf("line %d", pe.Line), "malformed CSV: %v", pe.Err)
		return v.Err()
	}
	return Errorf(ECValidation, "malformed CSV: %v", err)
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
