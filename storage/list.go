package storage

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

// Registrations lists the registrations that match f and that f.Visibility allows, newest
// first. Pages are cut by keyset on seq, so a page never repeats or skips a registration while
// new ones arrive; the cursor is opaque to clients.
func (db *DB) Registrations(ctx context.Context, f domain.RegistrationFilter) (domain.Page[*domain.Registration], error) {
	page := domain.Page[*domain.Registration]{Items: []*domain.Registration{}}
	where, args, visible := visibility(f.Visibility)
	if !visible {
		return page, nil
	}
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if f.Register != "" {
		add(`r.register_code = ?`, f.Register)
	}
	if f.Year != 0 {
		add(`r.year = ?`, f.Year)
	}
	if f.Direction != "" {
		add(`r.direction = ?`, string(f.Direction))
	}
	if f.Channel != "" {
		add(`r.channel = ?`, string(f.Channel))
	}
	if f.Status != "" {
		add(`r.status = ?`, string(f.Status))
	}
	if f.Class != "" {
		// The class and its descendants: codes starting with "VI." sort in ["VI.", "VI/") in
		// byte order ('/' follows '.'), which uses the class index and needs no LIKE escaping.
		add(`(r.class = ? OR (r.class >= ? AND r.class < ?))`, f.Class, f.Class+".", f.Class+"/")
	}
	if f.Unclassified {
		add(`r.class = ?`, "")
	}
	if f.Office != "" {
		add(`EXISTS (SELECT 1 FROM registration_offices fo WHERE fo.registration_id = r.id AND fo.office_code = ?)`, f.Office)
	}
	if f.From != "" {
		add(`r.reg_date >= ?`, f.From)
	}
	if f.To != "" {
		add(`r.reg_date <= ?`, f.To)
	}
	if f.Cursor != "" {
		seq, err := decodeCursor(f.Cursor)
		if err != nil {
			return page, err
		}
		add(`r.seq < ?`, seq)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = domain.DefaultLimit
	}
	limit = min(limit, domain.MaxLimit)
	page, err := keysetPage(db.read(ctx), db.selectRegistrations(), "r", where, args, limit, scanRegistration)
	if err != nil {
		return page, fmt.Errorf("list registrations: %w", err)
	}
	return page, nil
}

// keysetPage runs selectList (whose rows scan yields with their seq) with the conditions
// where, newest first (alias's seq descending), and returns one page of at most limit items;
// NextCursor, when there are more, is the last item's seq (the callers' `seq < ?` condition).
func keysetPage[T any](tx *gorm.DB, selectList, alias string, where []string, args []any, limit int,
	scan func(rowScanner) (T, int64, error)) (domain.Page[T], error) {
	page := domain.Page[T]{Items: []T{}}
	q := selectList
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY ` + alias + `.seq DESC LIMIT ?`
	rows, err := tx.Raw(q, append(args, limit+1)...).Rows()
	if err != nil {
		return page, err
	}
	defer rows.Close()
	var lastSeq int64
	for rows.Next() {
		if len(page.Items) == limit {
			page.NextCursor = encodeCursor(lastSeq)
			break
		}
		item, seq, err := scan(rows)
		if err != nil {
			return page, err
		}
		page.Items = append(page.Items, item)
		lastSeq = seq
	}
	return page, errors.Join(rows.Err(), rows.Close())
}

// visibility turns v into SQL conditions: a registration is visible when any clause of v holds.
// visible is false when no clause can hold, and then nothing should be read at all.
func visibility(v domain.Visibility) (where []string, args []any, visible bool) {
	if v.All {
		return nil, nil, true
	}
	var clauses []string
	if v.Public {
		clauses = append(clauses, `NOT r.confidential`)
	}
	if v.CreatedBy != "" {
		clauses = append(clauses, `r.created_by = ?`)
		args = append(args, v.CreatedBy)
	}
	if len(v.Offices) > 0 {
		clauses = append(clauses, `EXISTS (SELECT 1 FROM registration_offices vo
			WHERE vo.registration_id = r.id AND vo.office_code IN ?)`)
		args = append(args, v.Offices)
	}
	if portal, applicant, ok := strings.Cut(v.Party, "/"); ok {
		clauses = append(clauses, `EXISTS (SELECT 1 FROM case_documents vd JOIN cases vc ON vc.id = vd.case_id
			WHERE vd.registration_id = r.id AND vc.portal_id = ? AND vc.applicant = ?)`)
		args = append(args, portal, applicant)
	}
	return anyOf(clauses, args)
}

// anyOf joins visibility clauses with OR: visible when any holds; with none, nothing is.
func anyOf(clauses []string, args []any) (where []string, _ []any, visible bool) {
	if len(clauses) == 0 {
		return nil, nil, false
	}
	return []string{`(` + strings.Join(clauses, ` OR `) + `)`}, args, true
}

// encodeCursor writes the cursor of the list pages that follow the row seq: base64 of the
// decimal seq, opaque to clients.
func encodeCursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(seq, 10)))
}

// decodeCursor accepts only what encodeCursor writes ("01", "+1" or stray base64 bits name
// the same row but are not a cursor the server gave): one page, one cursor.
func decodeCursor(c string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		var seq int64
		if seq, err = strconv.ParseInt(string(b), 10, 64); err == nil && seq > 0 && encodeCursor(seq) == c {
			return seq, nil
		}
	}
	return 0, domain.Errorf(domain.ECValidation, "cursor %q is not valid", c)
}
