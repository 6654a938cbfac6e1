package storage_test

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
	"github.com/sportello/sportello/internal/tinydisk"
	"github.com/sportello/sportello/storage/storagetest"
)

// TestFaultedSQLiteDiskFull: SQLite failing to write on a real full file system is
// insufficient_storage, and the registration that met it took no number.
func TestFaultedSQLiteDiskFull(t *testing.T) {
	dir := tinydisk.Mount(t, "8m")
	f := newFixture(t, "sqlite:"+dir+"/sportello.db")
	f.register(t, newRegistration())
	free := tinydisk.Fill(t, dir)
	var err error
	for i := 0; err == nil && i < 10000; i++ {
		err = f.db.CreateRegistration(t.Context(), newRegistration(func(r *domain.Registration) {
			r.Subject = strings.Repeat("pieno ", 5000)
		}), domain.Write{})
	}
	wantCode(t, f.db.Faulted(err), domain.ECInsufficientStorage)
	free()
	before := f.queryInt(t, `SELECT count(*) FROM registrations`)
	r := f.register(t, newRegistration())
	if r.Number != before+1 {
		t.Fatalf("number after the disk was full: %d, want %d", r.Number, before+1)
	}
}

// TestFaultedKinds: what each driver says about a lost connection or a full disk, and what it
// says about everything else, which stays as it is.
func TestFaultedKinds(t *testing.T) {
	db := storagetest.Open(t, testdb.SQLiteURL(t))
	pg := func(code string) error { return fmt.Errorf("list: %w", &pgconn.PgError{Severity: "FATAL", Code: code}) }
	for _, c := range []struct {
		name string
		err  error
		want domain.ErrorCode
	}{
		{"AdminShutdown", pg("57P01"), domain.ECUnavailable},
		{"CrashShutdown", pg("57P02"), domain.ECUnavailable},
		{"CannotConnectNow", pg("57P03"), domain.ECUnavailable},
		{"ConnectionFailure", pg("08006"), domain.ECUnavailable},
		{"BadConn", fmt.Errorf("begin: %w", driver.ErrBadConn), domain.ECUnavailable},
		{"ConnClosed", fmt.Errorf("query: %w", pgconn.ErrConnClosed), domain.ECUnavailable},
		{"UnexpectedEOF", fmt.Errorf("scan: %w", io.ErrUnexpectedEOF), domain.ECUnavailable},
		{"Refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, domain.ECUnavailable},
		{"PostgresDiskFull", pg("53100"), domain.ECInsufficientStorage},
		{"ENOSPC", fmt.Errorf("write: %w", syscall.ENOSPC), domain.ECInsufficientStorage},
		{"EDQUOT", fmt.Errorf("write: %w", syscall.EDQUOT), domain.ECInsufficientStorage},
		{"UniqueStaysInternal", pg("23505"), domain.ECInternal},
		{"OtherStaysInternal", errors.New("boom"), domain.ECInternal},
		{"DomainCodeKept", &domain.Error{Code: domain.ECNotFound, Err: driver.ErrBadConn}, domain.ECNotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := db.Faulted(c.err)
			wantCode(t, got, c.want)
			if !errors.Is(got, c.err) {
				t.Fatalf("%v does not wrap %v", got, c.err)
			}
		})
	}
	if db.Faulted(nil) != nil {
		t.Fatal("Faulted(nil) is not nil")
	}
}
