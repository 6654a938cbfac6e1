package storage

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

// directoryBatch is how many rows one INSERT of a list carries: a few thousand bound values,
// well inside both engines' limits.
const directoryBatch = 500

// ReplaceDirectory deletes the list and inserts the new one in one transaction, with imp and w.
func (db *DB) ReplaceDirectory(ctx context.Context, imp domain.DirectoryImport, admins []domain.DirectoryAdministration,
	aoos []domain.DirectoryAOO, w domain.Write) error {
	var stmts []stmt
	switch imp.List {
	case domain.DirectoryAdministrations:
		stmts = append([]stmt{{sql: `DELETE FROM directory_administrations`}}, administrationRows(admins)...)
	case domain.DirectoryAOOs:
		stmts = append([]stmt{{sql: `DELETE FROM directory_aoos`}}, aooRows(aoos)...)
	default:
		return fmt.Errorf("replace the IPA %s: unknown list", imp.List)
	}
	return db.replaceDirectory(ctx, imp, stmts, w)
}

// ReplaceDirectoryUOs deletes the UOs list and inserts the new one in one transaction, with
// imp and w.
func (db *DB) ReplaceDirectoryUOs(ctx context.Context, imp domain.DirectoryImport, uos []domain.DirectoryUO, w domain.Write) error {
	if imp.List != domain.DirectoryUOs {
		return fmt.Errorf("replace the IPA UOs: the load is of the %s", imp.List)
	}
	return db.replaceDirectory(ctx, imp, append([]stmt{{sql: `DELETE FROM directory_uos`}}, uoRows(uos)...), w)
}

// replaceDirectory runs the statements that replace a list, records imp and stores w, all or
// none.
func (db *DB) replaceDirectory(ctx context.Context, imp domain.DirectoryImport, stmts []stmt, w domain.Write) error {
	err := db.write(ctx, func(tx *gorm.DB) error {
		for _, s := range stmts {
			if err := tx.Exec(s.sql, s.args...).Error; err != nil {
				return fmt.Errorf("store the list: %w", err)
			}
		}
		err := tx.Exec(`INSERT INTO directory_imports (id, list, entries, imported_at, imported_by) VALUES (?, ?, ?, ?, ?)`,
			imp.ID, string(imp.List), imp.Entries, db.ts(imp.ImportedAt), imp.ImportedBy).Error
		if err != nil {
			return fmt.Errorf("record the load: %w", err)
		}
		return db.storeWrite(tx, w)
	})
	if err != nil {
		return fmt.Errorf("replace the IPA %s: %w", imp.List, err)
	}
	return nil
}

// administrationRows inserts admins numbered in name order (seq from 1), the order of pages.
func administrationRows(admins []domain.DirectoryAdministration) []stmt {
	type row struct {
		a         domain.DirectoryAdministration
		key, name string
	}
	rows := make([]row, len(admins))
	for i, a := range admins {
		rows[i] = row{a: a, key: strings.ToLower(a.IPACode), name: domain.FoldName(a.Name)}
	}
	slices.SortFunc(rows, func(x, y row) int { return cmp.Or(strings.Compare(x.name, y.name), strings.Compare(x.key, y.key)) })
	values := make([][]any, len(rows))
	for i, r := range rows {
		values[i] = []any{r.key, i + 1, r.a.IPACode, r.a.Name, " " + r.name, r.a.TaxCode, r.a.DigitalAddress}
	}
	return insertBatches("directory_administrations",
		[]string{"ipa_key", "seq", "ipa_code", "name", "name_key", "tax_code", "digital_address"}, values, directoryBatch)
}

func aooRows(aoos []domain.DirectoryAOO) []stmt {
	values := make([][]any, len(aoos))
	for i, o := range aoos {
		values[i] = []any{strings.ToLower(o.IPACode), strings.ToLower(o.AOOCode), o.IPACode, o.AOOCode, o.Name,
			" " + domain.FoldName(o.Name), o.DigitalAddress}
	}
	return insertBatches("directory_aoos",
		[]string{"ipa_key", "aoo_key", "ipa_code", "aoo_code", "name", "name_key", "digital_address"}, values, directoryBatch)
}

func uoRows(uos []domain.DirectoryUO) []stmt {
	values := make([][]any, len(uos))
	for i, u := range uos {
		values[i] = []any{strings.ToLower(u.IPACode), strings.ToLower(u.UOCode), u.IPACode, u.UOCode, u.AOOCode, u.Name,
			" " + domain.FoldName(u.Name), u.DigitalAddress}
	}
	return insertBatches("directory_uos",
		[]string{"ipa_key", "uo_key", "ipa_code", "uo_code", "aoo_code", "name", "name_key", "digital_address"}, values, directoryBatch)
}

// DirectoryImport returns one record of a load (ECNotFound).
func (db *DB) DirectoryImport(ctx context.Context, id string) (domain.DirectoryImport, error) {
	var (
		imp  domain.DirectoryImport
		list string
	)
	err := db.read(ctx).Raw(`SELECT id, list, entries, imported_at, imported_by FROM directory_imports WHERE id = ?`, id).
		Row().Scan(&imp.ID, &list, &imp.Entries, timeCol{T: &imp.ImportedAt}, &imp.ImportedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return imp, domain.Errorf(domain.ECNotFound, "directory import %s not found", id)
	}
	if err != nil {
		return imp, fmt.Errorf("directory import %s: %w", id, err)
	}
	imp.List = domain.DirectoryList(list)
	return imp, nil
}

// Directory selects the administrations page by seq, then reads all their AOOs and the UOs the
// filter finds. The words are folded (letters and digits only), so they hold no LIKE wildcard.
func (db *DB) Directory(ctx context.Context, f domain.DirectoryFilter) (domain.Page[domain.DirectoryEntry], error) {
	page := domain.Page[domain.DirectoryEntry]{Items: []domain.DirectoryEntry{}}
	var (
		where []string
		args  []any
	)
	var match []string
	if len(f.Words) > 0 {
		var all []string
		for _, w := range f.Words {
			all = append(all, `(a.name_key LIKE ? OR EXISTS (SELECT 1 FROM directory_aoos o WHERE o.ipa_key = a.ipa_key AND o.name_key LIKE ?)
				OR EXISTS (SELECT 1 FROM directory_uos u WHERE u.ipa_key = a.ipa_key AND u.name_key LIKE ?))`)
			args = append(args, "% "+w+"%", "% "+w+"%", "% "+w+"%")
		}
		match = append(match, `(`+strings.Join(all, ` AND `)+`)`)
	}
	if f.Code != "" {
		match = append(match, `a.ipa_key = ? OR EXISTS (SELECT 1 FROM directory_aoos o WHERE o.ipa_key = a.ipa_key AND o.aoo_key = ?)
			OR EXISTS (SELECT 1 FROM directory_uos u WHERE u.ipa_key = a.ipa_key AND u.uo_key = ?)`)
		args = append(args, f.Code, f.Code, f.Code)
	}
	if len(match) > 0 {
		where = append(where, `(`+strings.Join(match, ` OR `)+`)`)
	}
	if f.Cursor != "" {
		seq, err := decodeCursor(f.Cursor)
		if err != nil {
			return page, err
		}
		where, args = append(where, `a.seq > ?`), append(args, seq)
	}
	q := `SELECT a.seq, a.ipa_code, a.name, a.tax_code, a.digital_address FROM directory_administrations a`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	limit := min(max(f.Limit, 1), domain.MaxLimit)
	rows, err := db.read(ctx).Raw(q+` ORDER BY a.seq LIMIT ?`, append(args, limit+1)...).Rows()
	if err != nil {
		return page, fmt.Errorf("search the directory: %w", err)
	}
	defer rows.Close()
	var last int64
	for rows.Next() {
		if len(page.Items) == limit {
			page.NextCursor = encodeCursor(last)
			break
		}
		var e domain.DirectoryEntry
		if err := rows.Scan(&last, &e.IPACode, &e.Name, &e.TaxCode, &e.DigitalAddress); err != nil {
			return page, fmt.Errorf("search the directory: %w", err)
		}
		e.AOOs, e.UOs = []domain.DirectoryAOO{}, []domain.DirectoryUO{}
		page.Items = append(page.Items, e)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("search the directory: %w", err)
	}
	rows.Close()
	if err := db.directoryAOOs(ctx, page.Items); err != nil {
		return page, err
	}
	return page, db.directoryUOs(ctx, f, page.Items)
}

// directoryUOs fills in the UOs f finds of each entry (see domain.DirectoryFilter), in the
// order of their folded names and codes, sorted here as directoryAOOs does, at most
// domain.MaxDirectoryUOs each.
func (db *DB) directoryUOs(ctx context.Context, f domain.DirectoryFilter, entries []domain.DirectoryEntry) error {
	if len(entries) == 0 || len(f.Words) == 0 && f.Code == "" {
		return nil
	}
	at := map[string]int{}
	args := make([]any, len(entries))
	for i, e := range entries {
		at[strings.ToLower(e.IPACode)], args[i] = i, strings.ToLower(e.IPACode)
	}
	var match []string
	if f.Code != "" {
		match, args = append(match, `u.uo_key = ?`), append(args, f.Code)
	}
	if len(f.Words) > 0 {
		var some, all []string
		for _, w := range f.Words {
			some = append(some, `u.name_key LIKE ?`)
			args = append(args, "% "+w+"%")
		}
		for _, w := range f.Words {
			all = append(all, `(u.name_key LIKE ? OR a.name_key LIKE ?)`)
			args = append(args, "% "+w+"%", "% "+w+"%")
		}
		match = append(match, `(`+strings.Join(some, ` OR `)+`) AND `+strings.Join(all, ` AND `))
	}
	rows, err := db.read(ctx).Raw(`SELECT u.ipa_key, u.name_key, u.uo_key, u.ipa_code, u.uo_code, u.aoo_code, u.name, u.digital_address
		FROM directory_uos u JOIN directory_administrations a ON a.ipa_key = u.ipa_key
		WHERE u.ipa_key IN (?`+strings.Repeat(", ?", len(entries)-1)+`) AND (`+strings.Join(match, ` OR `)+`)`, args...).Rows()
	if err != nil {
		return fmt.Errorf("UOs of the directory: %w", err)
	}
	defer rows.Close()
	order := map[domain.DirectoryUO]string{}
	for rows.Next() {
		var (
			key, name, code string
			u               domain.DirectoryUO
		)
		if err := rows.Scan(&key, &name, &code, &u.IPACode, &u.UOCode, &u.AOOCode, &u.Name, &u.DigitalAddress); err != nil {
			return fmt.Errorf("UOs of the directory: %w", err)
		}
		i := at[key]
		entries[i].UOs, order[u] = append(entries[i].UOs, u), name+"\x00"+code
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("UOs of the directory: %w", err)
	}
	for i := range entries {
		slices.SortFunc(entries[i].UOs, func(x, y domain.DirectoryUO) int { return strings.Compare(order[x], order[y]) })
		entries[i].UOs = entries[i].UOs[:min(len(entries[i].UOs), domain.MaxDirectoryUOs)]
	}
	return nil
}

// directoryAOOs fills in the AOOs of each entry, in the order of their folded names and codes,
// sorted here: the engines' collations would order them differently.
func (db *DB) directoryAOOs(ctx context.Context, entries []domain.DirectoryEntry) error {
	if len(entries) == 0 {
		return nil
	}
	at := map[string]int{}
	keys := make([]any, len(entries))
	for i, e := range entries {
		at[strings.ToLower(e.IPACode)], keys[i] = i, strings.ToLower(e.IPACode)
	}
	rows, err := db.read(ctx).Raw(`SELECT ipa_key, name_key, aoo_key, ipa_code, aoo_code, name, digital_address FROM directory_aoos
		WHERE ipa_key IN (?`+strings.Repeat(", ?", len(keys)-1)+`)`, keys...).Rows()
	if err != nil {
		return fmt.Errorf("AOOs of the directory: %w", err)
	}
	defer rows.Close()
	order := map[domain.DirectoryAOO]string{}
	for rows.Next() {
		var (
			key, name, code string
			o               domain.DirectoryAOO
		)
		if err := rows.Scan(&key, &name, &code, &o.IPACode, &o.AOOCode, &o.Name, &o.DigitalAddress); err != nil {
			return fmt.Errorf("AOOs of the directory: %w", err)
		}
		i := at[key]
		entries[i].AOOs, order[o] = append(entries[i].AOOs, o), name+"\x00"+code
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("AOOs of the directory: %w", err)
	}
	for _, e := range entries {
		slices.SortFunc(e.AOOs, func(x, y domain.DirectoryAOO) int { return strings.Compare(order[x], order[y]) })
	}
	return nil
}
