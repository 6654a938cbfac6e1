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
// valid_from becomes validFrom; retention_years is a number of years, "permanent" (or
// "permanente"), or empty while not set (RetentionCell). It checks only the
// shape of the file and of each value; the rules are checked when the classes are created.
// It returns the classes with the line of the file each came from (the header is line 1), so
// that later errors can name it. Returns validation_failed naming `line N: column`.
func ParseClassesCSV(r io.Reader, validFrom string) ([]Class, []int, error) {
	cr, col, fields, err := readCSVHeader(r, ClassCSVColumns, ClassCSVColumns[:4])
	if err != nil {
		return nil, nil, err
	}
	var v Validation
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
		if len(rec) != fields {
			v.Add(fmt.Sprintf("line %d", line), "has %d fields, the header %d", len(rec), fields)
			continue
		}
		c := Class{Code: get("code"), Parent: get("parent"), Title: get("title"), Description: get("description"),
			ValidFrom: cmpOr(get("valid_from"), validFrom), ValidTo: get("valid_to")}
		if s := get("level"); s != "" {
			if c.Level, err = strconv.Atoi(s); err != nil {
				v.Add(fmt.Sprintf("line %d: level", line), "must be 1, 2 or 3, not %q", s)
			}
		}
		var ok bool
		if c.RetentionYears, c.RetentionPermanent, ok = RetentionCell(get("retention_years")); !ok {
			v.Add(fmt.Sprintf("line %d: retention_years", line), "must be a number of years, \"permanent\" or empty (not set), not %q",
				get("retention_years"))
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

// RetentionCell reads a retention_years cell of a CSV: a number of years, "permanent" or
// "permanente" (any case), or "" for not set. ok is false for anything else; the range of the
// years is checked with the class.
func RetentionCell(s string) (years *int, permanent, ok bool) {
	switch s = strings.TrimSpace(s); strings.ToLower(s) {
	case "":
		return nil, false, true
	case "permanent", "permanente":
		return nil, true, true
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return nil, false, false
	}
	return &n, false, true
}

// RetentionCSVColumns are the columns of a retention schedule (piano di conservazione) in CSV,
// both required, in any order.
var RetentionCSVColumns = []string{"code", "retention_years"}

// ParseRetentionCSV reads a retention schedule: a header row naming RetentionCSVColumns, then
// one row per class, retention_years as RetentionCell reads it. It returns one change per row
// with the line it came from (the header is line 1); a code given twice is refused. Returns
// validation_failed naming `line N: column`.
func ParseRetentionCSV(r io.Reader) ([]RetentionChange, []int, error) {
	cr, col, fields, err := readCSVHeader(r, RetentionCSVColumns, RetentionCSVColumns)
	if err != nil {
		return nil, nil, err
	}
	var v Validation
	var (
		out   []RetentionChange
		lines []int
		seen  = map[string]int{}
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
		if len(rec) != fields {
			v.Add(fmt.Sprintf("line %d", line), "has %d fields, the header %d", len(rec), fields)
			continue
		}
		code := strings.TrimSpace(rec[col["code"]])
		years, permanent, ok := RetentionCell(rec[col["retention_years"]])
		if !ok {
			v.Add(fmt.Sprintf("line %d: retention_years", line), "must be a number of years, \"permanent\" or empty (not set), not %q",
				strings.TrimSpace(rec[col["retention_years"]]))
		}
		if first, dup := seen[code]; dup {
			v.Add(fmt.Sprintf("line %d: code", line), "%s is already on line %d", code, first)
		}
		seen[code] = line
		out, lines = append(out, RetentionChange{Code: code, Years: years, Permanent: permanent}), append(lines, line)
	}
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	if len(out) == 0 {
		return nil, nil, Errorf(ECValidation, "the CSV has a header but no class")
	}
	return out, lines, nil
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

// readCSVHeader reads the header row of a CSV (a UTF-8 BOM, case and spaces ignored) and maps
// each column to its index: every column must be one of columns, once, and the required ones
// there. It returns the reader, ready for the rows, the columns' indexes and how many fields
// the header has. Errors are validation_failed naming `line 1: column`.
func readCSVHeader(r io.Reader, columns, required []string) (cr *csv.Reader, col map[string]int, fields int, err error) {
	cr = csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, 0, Errorf(ECValidation, "the CSV is empty: want a header row %s", strings.Join(columns, ","))
	}
	if err != nil {
		return nil, nil, 0, csvError(err)
	}
	col = map[string]int{}
	var v Validation
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(columns, h) {
			v.Add("line 1: "+h, "unknown column: want %s", strings.Join(columns, ","))
		} else if _, dup := col[h]; dup {
			v.Add("line 1: "+h, "repeated column")
		}
		col[h] = i
	}
	for _, name := range required {
		if _, ok := col[name]; !ok {
			v.Add("line 1: "+name, "missing column")
		}
	}
	return cr, col, len(header), v.Err()
}
