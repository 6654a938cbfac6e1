package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/sportello/sportello/domain"
)

// byIDChunk is how many ids one batch read puts in its IN list: well under the bind-parameter
// limits of both engines.
const byIDChunk = 1000

// readByID runs selectSQL + ` WHERE <alias>.id IN ?` for ids, a chunk at a time, and returns
// the scanned rows keyed by id; an unknown id is simply absent. The background consumers
// (search projection, log sequencer) load a whole batch of change events this way instead of a
// query per event.
func readByID[T any](ctx context.Context, db *DB, what, selectSQL, alias string, ids []string,
	scan func(rowScanner) (T, string, error)) (map[string]T, error) {
	out := make(map[string]T, len(ids))
	for chunk := range slices.Chunk(ids, byIDChunk) {
		rows, err := db.read(ctx).Raw(selectSQL+` WHERE `+alias+`.id IN ?`, chunk).Rows()
		if err != nil {
			return nil, fmt.Errorf("%s by id: %w", what, err)
		}
		for rows.Next() {
			v, id, err := scan(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("%s by id: %w", what, err)
			}
			out[id] = v
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, fmt.Errorf("%s by id: %w", what, err)
		}
	}
	return out, nil
}

// RegistrationsByID returns the registrations with these ids keyed by id, in one query per
// thousand ids; an unknown id is simply absent.
func (db *DB) RegistrationsByID(ctx context.Context, ids []string) (map[string]*domain.Registration, error) {
	return readByID(ctx, db, "registrations", db.selectRegistrations(), "r", ids,
		func(row rowScanner) (*domain.Registration, string, error) {
			r, _, err := scanRegistration(row)
			if err != nil {
				return nil, "", err
			}
			return r, r.ID, nil
		})
}

// DossiersByID returns the dossiers with these ids keyed by id, in one query per thousand ids;
// an unknown id is simply absent. Their Items are left empty: the consumers of a batch (the
// search projection) index a dossier's own metadata, and loading every item of every dossier
// would cost more than the rest of the batch.
func (db *DB) DossiersByID(ctx context.Context, ids []string) (map[string]*domain.Dossier, error) {
	return readByID(ctx, db, "dossiers", selectDossiers, "d", ids,
		func(row rowScanner) (*domain.Dossier, string, error) {
			d, _, err := scanDossier(row)
			if err != nil {
				return nil, "", err
			}
			return d, d.ID, nil
		})
}

// DocumentsByID returns the unregistered documents with these ids keyed by id, with the
// registration that took each and the dossiers it is filed in, in one query per thousand ids;
// an unknown id is simply absent.
func (db *DB) DocumentsByID(ctx context.Context, ids []string) (map[string]*domain.Document, error) {
	return readByID(ctx, db, "documents", db.selectDocuments(), "d", ids,
		func(row rowScanner) (*domain.Document, string, error) {
			d, _, err := scanDocument(row)
			if err != nil {
				return nil, "", err
			}
			return d, d.ID, nil
		})
}
