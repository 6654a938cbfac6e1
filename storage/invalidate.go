package storage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
)

// InvalidateChannel is the PostgreSQL channel on which a transaction that changes what replicas
// cache tells them so (NOTIFY is delivered at commit, and not at all on rollback).
const InvalidateChannel = "sportello_invalidate"

// InvalidateAPIKey is the kind of an invalidation naming an API key whose expiry or revocation
// changed: every replica forgets it from its cache of verified keys (domain/authcache.go).
const InvalidateAPIKey = "api_key"

// InvalidatePrincipal is the kind of an invalidation naming a principal (a staff user) whose
// roles, offices or state changed: every replica forgets the keys and identity-provider
// tokens it verified for it (domain/authcache.go), so that a deactivated user is refused on
// every replica at the next request.
const InvalidatePrincipal = "principal"

// invalidateApp is the application_name of the listening connections, so that an operator (or
// a test) finds them in pg_stat_activity.
const invalidateApp = "sportello-invalidate"

// Invalidation is what a replica must forget: the entry ID of the cache of Kind, or, when All
// is set, everything it caches (the listener (re)connected and may have missed notifications).
type Invalidation struct {
	Kind, ID string
	All      bool
}

// notifyInvalidate tells every replica, when tx commits, to forget the entry id of kind. On
// SQLite, a single-process engine, there is nobody else to tell.
func (db *DB) notifyInvalidate(tx *gorm.DB, kind, id string) error {
	if db.engine != Postgres {
		return nil
	}
	if err := tx.Exec(`SELECT pg_notify(?, ?)`, InvalidateChannel, kind+":"+id).Error; err != nil {
		return fmt.Errorf("notify %s %s: %w", kind, id, err)
	}
	return nil
}

// ListenInvalidations calls forget for each invalidation another transaction (of any replica,
// this one included) committed, until ctx ends. It listens on a connection of its own, and on
// every (re)connection first calls forget with All: what was committed while nobody listened
// is lost. A broken connection is reconnected after retry (0: a second). On SQLite it returns
// at once: one process, which forgets what it changes itself.
func (db *DB) ListenInvalidations(ctx context.Context, retry time.Duration, forget func(Invalidation)) {
	if db.engine != Postgres {
		return
	}
	if retry <= 0 {
		retry = time.Second
	}
	for ctx.Err() == nil {
		err := db.listen(ctx, forget)
		if ctx.Err() != nil {
			return
		}
		db.log.Warn("cache invalidations: listening failed; reconnecting", "err", err)
		sleepCtx(ctx, retry)
	}
}

func (db *DB) listen(ctx context.Context, forget func(Invalidation)) error {
	cfg, err := pgx.ParseConfig(db.url)
	if err != nil {
		return err
	}
	cfg.RuntimeParams["application_name"] = invalidateApp
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	conn, err := pgx.ConnectConfig(cctx, cfg)
	cancel()
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = conn.Close(ctx)
	}()
	if _, err := conn.Exec(ctx, `LISTEN `+InvalidateChannel); err != nil {
		return err
	}
	forget(Invalidation{All: true})
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		kind, id, ok := strings.Cut(n.Payload, ":")
		if !ok {
			forget(Invalidation{All: true})
			continue
		}
		forget(Invalidation{Kind: kind, ID: id})
	}
}
