package storage

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// leaderLockClass is the first key of the session-level PostgreSQL advisory locks that elect
// one leader per role among the replicas sharing a database ("SPLD"); the second is
// hashtext(role).
const leaderLockClass = 0x53504c44

// leaderApp is the application_name of the elections' connections (pg_stat_activity).
const leaderApp = "sportello-leader"

// DefaultLeaderRetry is how often a follower tries to take the lock, and how often the leader
// checks that the connection holding it is alive.
const DefaultLeaderRetry = time.Second

// Leader elects one process among those sharing a PostgreSQL database to do the work of a role
// (the log sequencer, the journal worker, the fixity scheduler): whoever holds the session-level
// advisory lock (leaderLockClass, hashtext(role)) on a connection of its own. Followers try
// pg_try_advisory_lock every Retry; the leader runs `SELECT 1` on its connection as often, and
// when that fails (its backend was terminated, the network or the server went away) it stops
// the work and becomes a follower: PostgreSQL has let go of the lock with the session, so
// another replica takes it within about Retry.
//
// A leader that loses its connection learns it at its next check, so for up to Retry two
// processes may do the role's work: the work must stay safe to run twice (the sequencer appends
// under a transaction lock, the journals and fixity runs are unique in the database).
//
// On SQLite, a single-process engine, the only process is always the leader.
type Leader struct {
	db    *DB
	role  string
	retry time.Duration
	log   *slog.Logger
	// OnChange, when set before Run, is called with true when this process becomes the leader
	// and false when it stops being it (metrics).
	OnChange func(leading bool)

	leading atomic.Bool
	silent  atomic.Bool // tests: stop pinging, as a dead host would
	mu      sync.Mutex
	conn    *pgx.Conn // the connection holding the lock; nil when following
}

// NewLeader returns the election of role (retry 0 means DefaultLeaderRetry).
func (db *DB) NewLeader(role string, retry time.Duration) *Leader {
	if retry <= 0 {
		retry = DefaultLeaderRetry
	}
	return &Leader{db: db, role: role, retry: retry, log: db.log}
}

// Role names what the leader does.
func (l *Leader) Role() string { return l.role }

// Leading reports whether this process leads the role now.
func (l *Leader) Leading() bool { return l.leading.Load() }

// Run takes part in the election until ctx ends, running work while this process leads: work's
// context ends when leadership is lost or ctx ends, and Run waits for work to return before it
// tries again. Work that returns on its own while leading is run again after Retry.
func (l *Leader) Run(ctx context.Context, work func(ctx context.Context)) {
	if l.db.engine != Postgres {
		l.set(true)
		defer l.set(false)
		for ctx.Err() == nil {
			work(ctx)
			sleepCtx(ctx, l.retry)
		}
		return
	}
	for ctx.Err() == nil {
		if l.acquire(ctx) {
			l.lead(ctx, work)
		}
		sleepCtx(ctx, l.retry)
	}
}

// acquire connects and tries the lock once; it keeps the connection when it got the lock.
func (l *Leader) acquire(ctx context.Context) bool {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	cfg, err := pgx.ParseConfig(l.db.url)
	if err != nil {
		l.log.Warn("leader election: bad database URL", "role", l.role, "err", err)
		return false
	}
	cfg.RuntimeParams["application_name"] = leaderApp
	conn, err := pgx.ConnectConfig(cctx, cfg)
	if err != nil {
		if ctx.Err() == nil {
			l.log.Warn("leader election: cannot connect; retrying", "role", l.role, "err", err)
		}
		return false
	}
	// A leader whose host died or was cut off stops pinging: PostgreSQL (14 and later) then
	// ends the idle session, and with it the lock, instead of waiting for TCP keepalives.
	if _, err := conn.Exec(cctx, fmt.Sprintf(`SET idle_session_timeout = %d`, (5*l.retry).Milliseconds())); err != nil {
		l.log.Debug("leader election: idle_session_timeout not set (PostgreSQL before 14)", "role", l.role, "err", err)
	}
	var got bool
	err = conn.QueryRow(cctx, `SELECT pg_try_advisory_lock($1::integer, hashtext($2))`, leaderLockClass, l.role).Scan(&got)
	if err != nil || !got {
		if err != nil && ctx.Err() == nil {
			l.log.Warn("leader election: lock attempt failed; retrying", "role", l.role, "err", err)
		}
		_ = conn.Close(context.Background())
		return false
	}
	l.mu.Lock()
	l.conn = conn
	l.mu.Unlock()
	return true
}

// lead runs work while the lock's connection answers, then lets the connection go.
func (l *Leader) lead(ctx context.Context, work func(ctx context.Context)) {
	l.set(true)
	l.log.Info("leader election: leading", "role", l.role)
	wctx, stop := context.WithCancel(ctx)
	var done sync.WaitGroup
	done.Go(func() {
		defer stop()
		work(wctx)
	})
	t := time.NewTicker(l.retry)
	for alive := true; alive; {
		select {
		case <-wctx.Done():
			alive = false
		case <-t.C:
			if l.silent.Load() {
				continue // a test plays a leader whose host stopped
			}
			if err := l.ping(wctx); err != nil && wctx.Err() == nil {
				l.log.Warn("leader election: lost the lock's connection; following", "role", l.role, "err", err)
				alive = false
			}
		}
	}
	t.Stop()
	stop()
	done.Wait()
	l.set(false)
	l.release()
}

func (l *Leader) ping(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, l.retry+time.Second)
	defer cancel()
	l.mu.Lock()
	conn := l.conn
	l.mu.Unlock()
	_, err := conn.Exec(cctx, `SELECT 1`)
	return err
}

// release closes the lock's connection, which lets the lock go if the session still holds it.
func (l *Leader) release() {
	l.mu.Lock()
	conn := l.conn
	l.conn = nil
	l.mu.Unlock()
	if conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = conn.Close(ctx)
	}
}

// BackendPID returns the PostgreSQL backend process holding the lock, for tests that terminate
// it (pg_terminate_backend); 0 when following or on SQLite.
func (l *Leader) BackendPID() uint32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return 0
	}
	return l.conn.PgConn().PID()
}

func (l *Leader) set(leading bool) {
	if l.leading.Swap(leading) != leading && l.OnChange != nil {
		l.OnChange(leading)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
