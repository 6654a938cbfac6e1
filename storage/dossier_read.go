package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

// selectDossiers is the SELECT … FROM of every dossier read; callers add WHERE.
const selectDossiers = `SELECT d.seq, d.id, d.identifier, d.year, d.class, d.number, d.subject, d.type, d.office,
	d.parent_id, d.status, d.opened_at, d.closed_at, d.created_by, d.position, d.disposal_id, d.responsible FROM dossiers d`

// scanDossier reads one row of selectDossiers and returns it with its seq.
func scanDossier(row rowScanner) (*domain.Dossier, int64, error) {
	var (
		d        domain.Dossier
		seq      int64
		parent   sql.NullString
		closedAt time.Time
		closed   bool
		disposal sql.NullString
	)
	err := row.Scan(&seq, &d.ID, &d.Identifier, &d.Year, &d.Class, &d.Number, &d.Subject, &d.Type, &d.Office,
		&parent, &d.Status, timeCol{T: &d.OpenedAt}, timeCol{T: &closedAt, Valid: &closed}, &d.CreatedBy, &d.Position, &disposal, &d.Responsible)
	if err != nil {
		return nil, 0, err
	}
	d.Parent = parent.String
	if disposal.Valid {
		// Storage keeps a disposed dossier closed (its index stays frozen) and marks it by its
		// disposal; the domain sees it as disposed.
		d.Status, d.DisposalID = domain.DossierDisposed, disposal.String
	}
	if closed {
		d.ClosedAt = &closedAt
	}
	d.Items = []domain.DossierItem{}
	return &d, seq, nil
}

// Dossier returns one dossier by id or identifier, with its items (ECNotFound).
func (db *DB) Dossier(ctx context.Context, key string) (*domain.Dossier, error) {
	var d *domain.Dossier
	// One read transaction, so that the dossier and its items come from one snapshot.
	err := db.r.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		d, _, err = scanDossier(tx.Raw(selectDossiers+` WHERE d.id = ? OR d.identifier = ?`, key, key).Row())
		if errors.Is(err, sql.ErrNoRows) {
			return domain.Errorf(domain.ECNotFound, "dossier %s not found", key)
		}
		if err != nil {
			return err
		}
		items, err := db.dossierItems(tx, []string{d.ID})
		d.Items = items[d.ID]
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("dossier %s: %w", key, err)
	}
	return d, nil
}

// dossierItems loads the items of the dossiers with ids, each with its whole registration or
// document, in filing order; every id has a non-nil list.
func (db *DB) dossierItems(tx *gorm.DB, ids []string) (map[string][]domain.DossierItem, error) {
	out := make(map[string][]domain.DossierItem, len(ids))
	for _, id := range ids {
		out[id] = []domain.DossierItem{}
	}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := tx.Raw(`SELECT i.dossier_id, i.kind, i.added_at, i.added_by, `+db.registrationSelectList()+`
		FROM dossier_items i JOIN registrations r ON r.id = i.registration_id
		WHERE i.dossier_id IN ? ORDER BY i.added_at, r.seq`, ids).Rows()
	if err != nil {
		return nil, fmt.Errorf("dossier items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			dossierID string
			it        domain.DossierItem
		)
		r, _, err := scanRegistration(prefixScanner{rows, []any{&dossierID, &it.Kind, timeCol{T: &it.AddedAt}, &it.AddedBy}})
		if err != nil {
			return nil, fmt.Errorf("dossier items: %w", err)
		}
		it.Registration = r
		out[dossierID] = append(out[dossierID], it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("dossier items: %w", err)
	}
	rows.Close()
	if err := db.dossierDocuments(tx, ids, out); err != nil {
		return nil, err
	}
	for id, items := range out {
		slices.SortStableFunc(items, func(a, b domain.DossierItem) int { return a.AddedAt.Compare(b.AddedAt) })
		out[id] = items
	}
	return out, nil
}

// dossierDocuments adds to out the unregistered documents filed in the dossiers with ids.
func (db *DB) dossierDocuments(tx *gorm.DB, ids []string, out map[string][]domain.DossierItem) error {
	rows, err := tx.Raw(`SELECT i.dossier_id, i.added_at, i.added_by, `+db.documentSelectList()+`
		FROM dossier_documents i JOIN documents d ON d.id = i.document_id LEFT JOIN registrations r ON r.id = d.registration_id
		WHERE i.dossier_id IN ? ORDER BY i.added_at, d.seq`, ids).Rows()
	if err != nil {
		return fmt.Errorf("dossier documents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var dossierID string
		it := domain.DossierItem{Kind: domain.ItemDocument}
		doc, _, err := scanDocument(prefixScanner{rows, []any{&dossierID, timeCol{T: &it.AddedAt}, &it.AddedBy}})
		if err != nil {
			return fmt.Errorf("dossier documents: %w", err)
		}
		it.Document = doc
		out[dossierID] = append(out[dossierID], it)
	}
	return rows.Err()
}

// prefixScanner scans leading columns into extra and passes the rest on, so that a row
// scanner such as scanRegistration can read a row that starts with other columns.
type prefixScanner struct {
	row   rowScanner
	extra []any
}

func (p prefixScanner) Scan(dest ...any) error {
	return p.row.Scan(append(append([]any{}, p.extra...), dest...)...)
}

// Dossiers lists the dossiers that match f and that f.Visibility allows, newest first, with
// their items. Pages are cut by keyset on seq, like registrations.
func (db *DB) Dossiers(ctx context.Context, f domain.DossierFilter) (domain.Page[*domain.Dossier], error) {
	page := domain.Page[*domain.Dossier]{Items: []*domain.Dossier{}}
	where, args, visible := dossierVisibility(f.Visibility)
	if !visible {
		return page, nil
	}
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if f.Class != "" {
		add(`(d.class = ? OR (d.class >= ? AND d.class < ?))`, f.Class, f.Class+".", f.Class+"/")
	}
	if f.Year != 0 {
		add(`d.year = ?`, f.Year)
	}
	switch f.Status {
	case domain.DossierDisposed:
		// Storage keeps a disposed dossier closed and marks it by its disposal.
		add(`d.disposal_id IS NOT NULL`)
	case domain.DossierClosed:
		add(`d.status = 'closed' AND d.disposal_id IS NULL`)
	case domain.DossierOpen:
		add(`d.status = 'open'`)
	}
	if f.Office != "" {
		add(`d.office = ?`, f.Office)
	}
	if f.Type != "" {
		add(`d.type = ?`, string(f.Type))
	}
	if f.Cursor != "" {
		seq, err := decodeCursor(f.Cursor)
		if err != nil {
			return page, err
		}
		add(`d.seq < ?`, seq)
	}
	limit := min(max(f.Limit, 1), domain.MaxLimit)
	if f.Limit <= 0 {
		limit = domain.DefaultLimit
	}
	err := db.r.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if page, err = keysetPage(tx, selectDossiers, "d", where, args, limit, scanDossier); err != nil {
			return err
		}
		ids := make([]string, len(page.Items))
		for i, d := range page.Items {
			ids[i] = d.ID
		}
		items, err := db.dossierItems(tx, ids)
		for _, d := range page.Items {
			d.Items = items[d.ID]
		}
		return err
	})
	if err != nil {
		return page, fmt.Errorf("list dossiers: %w", err)
	}
	return page, nil
}

// dossierVisibility turns v (see domain.DossierVisibilityOf) into SQL conditions: a dossier is
// visible when any clause holds; visible is false when none can.
func dossierVisibility(v domain.Visibility) (where []string, args []any, visible bool) {
	if v.All {
		return nil, nil, true
	}
	var clauses []string
	if v.CreatedBy != "" {
		clauses = append(clauses, `d.created_by = ?`)
		args = append(args, v.CreatedBy)
	}
	if len(v.Offices) > 0 {
		clauses = append(clauses, `d.office IN ?`)
		args = append(args, v.Offices)
	}
	return anyOf(clauses, args)
}
