package app

import (
	"context"
	"sync"

	"github.com/sportello/sportello/storage"
)

// invalidations relays the database's cache invalidations (storage.ListenInvalidations: NOTIFY
// on PostgreSQL, sent by the transaction that changed the data) to this replica's caches, so
// that a key revoked through another replica is refused here at once rather than when the
// cache entry ages out, and a user deactivated (or whose roles or offices changed) through
// another replica is refused, or acts with the new roles, at the next request. Only the keys
// and identity-provider tokens are cached: registers, classes and clients are read from
// the database on every request, and the AOO's codes never change.
type invalidations struct {
	stop func()
	done sync.WaitGroup
}

func (m *Main) startInvalidations() *invalidations {
	ctx, cancel := context.WithCancel(context.Background())
	in := &invalidations{stop: cancel}
	in.done.Go(func() {
		m.DB.ListenInvalidations(ctx, m.LeaderRetry, func(inv storage.Invalidation) {
			switch {
			case inv.All:
				m.Service.ForgetCachedKeys()
			case inv.Kind == storage.InvalidateAPIKey:
				m.Service.ForgetCachedKeys(inv.ID)
			case inv.Kind == storage.InvalidatePrincipal:
				m.Service.ForgetCachedPrincipal(inv.ID)
			}
		})
	})
	return in
}

// stopBackground stops listening.
func (in *invalidations) stopBackground() {
	if in != nil {
		in.stop()
		in.done.Wait()
	}
}
