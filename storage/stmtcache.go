package storage

import (
	"context"
	"database/sql/driver"
	"errors"
	"sync"
)

// SQLite's driver compiles every statement it is given, and compiling was a large share of the
// server's CPU under load — on the single write connection, inside the serialised part of every
// write. A stmtCacheConnector keeps, per connection, the compiled statements of the most
// recent queries and hands them out again: database/sql closes a statement it prepared for one
// Exec or Query as soon as that is done (for a Query, when its rows are closed), and here that
// Close only returns the statement to the cache. A statement still in use (its rows open) is
// never handed out twice: a second user gets a fresh one. (gorm's own statement cache cannot do
// this: inside a transaction it prepares on the transaction, which closes its statements at
// commit, and the job queue's statements do not go through gorm at all.)

// stmtCacheSize bounds the statements kept per connection.
const stmtCacheSize = 256

// stmtCacheConnector wraps a driver.Connector so that its connections cache statements.
type stmtCacheConnector struct{ driver.Connector }

func (c stmtCacheConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &cachingConn{Conn: conn, stmts: map[string]*cachedStmt{}}, nil
}

// cachingConn is a connection with a statement cache. database/sql uses a connection from one
// goroutine at a time; the mutex only guards against a statement closed late, from another.
type cachingConn struct {
	driver.Conn
	mu    sync.Mutex
	stmts map[string]*cachedStmt
}

func (c *cachingConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	c.mu.Lock()
	if s := c.stmts[query]; s != nil && !s.busy {
		s.busy = true
		c.mu.Unlock()
		return s, nil
	}
	c.mu.Unlock()
	si, err := c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s := &cachedStmt{Stmt: si, conn: c, busy: true}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, taken := c.stmts[query]; !taken {
		if len(c.stmts) >= stmtCacheSize {
			c.evictLocked()
		}
		if len(c.stmts) < stmtCacheSize {
			s.cached = true
			c.stmts[query] = s
		}
	}
	return s, nil
}

// evictLocked closes one idle cached statement, whichever the map yields first.
func (c *cachingConn) evictLocked() {
	for q, s := range c.stmts {
		if !s.busy {
			delete(c.stmts, q)
			_ = s.Stmt.Close()
			return
		}
	}
}

func (c *cachingConn) Close() error {
	c.mu.Lock()
	var errs []error
	for q, s := range c.stmts {
		delete(c.stmts, q)
		errs = append(errs, s.Stmt.Close())
	}
	c.mu.Unlock()
	return errors.Join(append(errs, c.Conn.Close())...)
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

// ExecContext passes statements without arguments (scripts, savepoints) to the driver, which
// runs them directly; with arguments the driver answers ErrSkip, and database/sql prepares.
func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if e, ok := c.Conn.(driver.ExecerContext); ok {
		return e.ExecContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (c *cachingConn) CheckNamedValue(v *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(v)
	}
	return driver.ErrSkip
}

// cachedStmt is a statement of a cachingConn; Close returns a cached one to the cache.
type cachedStmt struct {
	driver.Stmt
	conn   *cachingConn
	busy   bool // handed out and not closed yet (guarded by conn.mu)
	cached bool
}

func (s *cachedStmt) Close() error {
	if !s.cached {
		return s.Stmt.Close()
	}
	s.conn.mu.Lock()
	s.busy = false
	s.conn.mu.Unlock()
	return nil
}

func (s *cachedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (s *cachedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}

func (s *cachedStmt) CheckNamedValue(v *driver.NamedValue) error {
	if ch, ok := s.Stmt.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(v)
	}
	return driver.ErrSkip
}
