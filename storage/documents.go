package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

// Change-feed event kinds of documents.
const (
	changeDocumentCreated    = "document.created"
	changeDocumentRegistered = "document.registered"
	changeDocumentFiled      = "document.filed"
	changeDocumentDisposed   = "document.disposed"
)

// selectDocuments is the SELECT … FROM of every document read; callers add WHERE.
func (db *DB) selectDocuments() string {
	return `SELECT ` + db.documentSelectList() + ` FROM documents d LEFT JOIN registrations r ON r.id = d.registration_id`
}

// documentSelectList is the select list of a document row (alias d, with its registration
// left-joined as r), in scanDocument's order: the registration that took it and its disposal,
// and its dossiers as a JSON array of identifiers in filing order.
func (db *DB) documentSelectList() string {
	return `d.seq, d.id, d.subject, d.description, d.class, d.offices, d.confidential, d.filename,
	d.media_type, d.size, d.sha256, d.created_at, d.created_by, d.position, coalesce(d.registration_id, ''),
	coalesce(r.register_code, ''), coalesce(r.year, 0), coalesce(r.number, 0), coalesce(r.identifier, ''),
	d.disposal_id, d.disposed_at, (SELECT s.authorization_ref FROM disposals s WHERE s.id = d.disposal_id),
	(SELECT ` + db.jsonAgg(`x.identifier`, `x.added_at, x.identifier`) + ` FROM (SELECT o.identifier, i.added_at
		FROM dossier_documents i JOIN dossiers o ON o.id = i.dossier_id WHERE i.document_id = d.id
		ORDER BY i.added_at, o.identifier) x)`
}

// jsonAgg returns an expression aggregating expr into a JSON array (never null), ordered by order.
func (db *DB) jsonAgg(expr, order string) string {
	if db.engine == Postgres {
		return `coalesce(json_agg(` + expr + ` ORDER BY ` + order + `), '[]')::text`
	}
	return `coalesce(json_group_array(` + expr + `), '[]')`
}

// scanDocument reads one row of selectDocuments and returns it with its seq.
func scanDocument(row rowScanner) (*domain.Document, int64, error) {
	var (
		d                        domain.Document
		seq                      int64
		offices, dossiers        string
		regID, regCode, regIdent string
		regYear                  int
		regNumber                int64
		disposalID, disposalAuth sql.NullString
		disposedAt               time.Time
		disposed                 bool
	)
	err := row.Scan(&seq, &d.ID, &d.Subject, &d.Description, &d.Class, &offices, &d.Confidential, &d.File.Filename,
		&d.File.MediaType, &d.File.Size, &d.File.SHA256, timeCol{T: &d.CreatedAt}, &d.CreatedBy, &d.Position, &regID,
		&regCode, &regYear, &regNumber, &regIdent, &disposalID, timeCol{T: &disposedAt, Valid: &disposed}, &disposalAuth, &dossiers)
	if err != nil {
		return nil, 0, err
	}
	if err := json.Unmarshal([]byte(offices), &d.Offices); err != nil {
		return nil, 0, fmt.Errorf("offices of document %s: %w", d.ID, err)
	}
	if err := json.Unmarshal([]byte(dossiers), &d.Dossiers); err != nil {
		return nil, 0, fmt.Errorf("dossiers of document %s: %w", d.ID, err)
	}
	d.Offices, d.Dossiers = orEmpty(d.Offices), orEmpty(d.Dossiers)
	if regID != "" {
		d.Registration = &domain.DocumentRegistration{ID: regID, Identifier: regIdent,
			Ref: domain.Ref{Register: regCode, Year: regYear, Number: regNumber}}
	}
	if disposalID.Valid {
		d.Disposal = &domain.DisposalRef{ID: disposalID.String, Authorization: disposalAuth.String, At: disposedAt}
	}
	return &d, seq, nil
}

// CreateDocument stores d with w and one change-feed event, after locking its content against
// a concurrent deletion and running w.Verify, like a registration.
func (db *DB) CreateDocument(ctx context.Context, d *domain.Document, w domain.Write) error {
	d.CreatedAt = utcMicro(d.CreatedAt)
	offices, err := jsonText(orEmpty(d.Offices))
	if err != nil {
		return fmt.Errorf("create document %s: %w", d.ID, err)
	}
	err = db.write(ctx, func(tx *gorm.DB) error {
		if err := db.lockContent(tx, []string{d.File.SHA256}); err != nil {
			return err
		}
		if w.Verify != nil {
			if err := w.Verify(ctx); err != nil {
				return err
			}
		}
		var pos int64
		if err := db.runAll(tx, &pos, db.changeStmt(changeDocumentCreated, domain.KindDocument, d.ID)); err != nil {
			return fmt.Errorf("append change event: %w", err)
		}
		err := tx.Exec(`INSERT INTO documents (id, subject, description, class, offices, confidential, filename,
			media_type, size, sha256, created_at, created_by, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			d.ID, d.Subject, d.Description, d.Class, offices, d.Confidential, d.File.Filename, d.File.MediaType,
			d.File.Size, d.File.SHA256, db.ts(d.CreatedAt), d.CreatedBy, pos).Error
		if isForeignKey(err) {
			return &domain.Error{Code: domain.ECValidation, Message: "unknown class " + d.Class,
				Fields: []domain.FieldError{{Field: "class", Message: "unknown class " + d.Class}}, Err: err}
		}
		if err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		if err := db.runAll(tx, nil, contentRefsStmt(domain.KindDocument, d.ID, []string{d.File.SHA256})); err != nil {
			return fmt.Errorf("content refs: %w", err)
		}
		d.Position = pos
		return db.storeWrite(tx, w)
	})
	if err != nil {
		return fmt.Errorf("create document %s: %w", d.ID, err)
	}
	return nil
}

// Document returns one document (ECNotFound).
func (db *DB) Document(ctx context.Context, id string) (*domain.Document, error) {
	d, _, err := scanDocument(db.read(ctx).Raw(db.selectDocuments()+` WHERE d.id = ?`, id).Row())
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Errorf(domain.ECNotFound, "document %s not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("document %s: %w", id, err)
	}
	return d, nil
}

// registerDocument marks the document registered by registrationID inside the registration's
// transaction: the conditional update is the check, so that two registrations of one document
// cannot both commit (the second waits on the row, then finds it registered).
func (db *DB) registerDocument(tx *gorm.DB, documentID, registrationID string) error {
	var pos int64
	if err := db.runAll(tx, &pos, db.changeStmt(changeDocumentRegistered, domain.KindDocument, documentID)); err != nil {
		return fmt.Errorf("append change event: %w", err)
	}
	res := tx.Exec(`UPDATE documents SET registration_id = ?, position = ? WHERE id = ? AND registration_id IS NULL
		AND disposal_id IS NULL`, registrationID, pos, documentID)
	if res.Error != nil {
		return fmt.Errorf("register document %s: %w", documentID, res.Error)
	}
	if res.RowsAffected != 1 {
		return domain.Errorf(domain.ECConflict, "document %s is already registered or disposed of: a document is registered at most once", documentID)
	}
	return nil
}

// FileDocument files the document into the dossier unless it is there already; the dossier is
// locked (shared) while its status is checked, and the schema refuses the same on any path.
func (db *DB) FileDocument(ctx context.Context, dossierID, documentID string, w domain.Write) (bool, error) {
	added := false
	err := db.write(ctx, func(tx *gorm.DB) error {
		var identifier string
		if err := tx.Raw(`SELECT identifier FROM dossiers WHERE id = ?`, dossierID).Row().Scan(&identifier); errors.Is(err, sql.ErrNoRows) {
			return domain.Errorf(domain.ECNotFound, "dossier %s not found", dossierID)
		} else if err != nil {
			return err
		}
		if _, err := db.openDossier(tx, identifier, "accepts no new items"); err != nil {
			return err
		}
		var n int64
		if err := tx.Raw(`SELECT count(*) FROM dossier_documents WHERE dossier_id = ? AND document_id = ?`,
			dossierID, documentID).Row().Scan(&n); err != nil {
			return err
		}
		q := `INSERT INTO dossier_documents (dossier_id, document_id, added_at, added_by) VALUES (?, ?, ?, ?)`
		if db.engine == Postgres {
			// The same filing committed by a concurrent request after the count above.
			q += ` ON CONFLICT DO NOTHING`
		}
		var res *gorm.DB
		if n == 0 {
			res = tx.Exec(q, dossierID, documentID, db.ts(w.At), w.Actor)
			if isForeignKey(res.Error) {
				return domain.Errorf(domain.ECNotFound, "document %s not found", documentID)
			}
			if res.Error != nil {
				return itemError(res.Error)
			}
		}
		if n > 0 || res.RowsAffected == 0 {
			w.Audit = nil
			return db.storeWrite(tx, w)
		}
		for _, ch := range []struct{ kind, entity, id, table string }{
			{changeDossierUpdated, domain.KindDossier, dossierID, "dossiers"},
			{changeDocumentFiled, domain.KindDocument, documentID, "documents"},
		} {
			var pos int64
			if err := db.runAll(tx, &pos, db.changeStmt(ch.kind, ch.entity, ch.id)); err != nil {
				return fmt.Errorf("append change event: %w", err)
			}
			if err := tx.Exec(`UPDATE `+ch.table+` SET position = ? WHERE id = ?`, pos, ch.id).Error; err != nil {
				return fmt.Errorf("%s %s position: %w", ch.entity, ch.id, err)
			}
		}
		added = true
		return db.storeWrite(tx, w)
	})
	if err != nil {
		return false, fmt.Errorf("file document %s in dossier %s: %w", documentID, dossierID, guarded(err))
	}
	return added, nil
}

// contentRefsStmt records that the owner references each digest (content_refs), so that the
// disposal's "still in use" check is an index lookup.
func contentRefsStmt(kind, id string, digests []string) stmt {
	q := `INSERT INTO content_refs (sha256, owner_kind, owner_id) VALUES `
	var args []any
	seen := map[string]bool{}
	for _, d := range digests {
		if seen[d] {
			continue
		}
		if len(seen) > 0 {
			q += ", "
		}
		seen[d] = true
		q += "(?, ?, ?)"
		args = append(args, d, kind, id)
	}
	return stmt{sql: q, args: args}
}
