package tlog_test

import (
	"testing"

	"github.com/sportello/sportello/internal/testdb"
)

func TestAudit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		ctx := t.Context()
		regs := e.register(t, 4)
		e.annul(t, regs[1].ID)
		e.checkpoint(t)

		t.Run("CleanDatabaseHasNoMismatch", func(t *testing.T) {
			rep, err := e.log.Audit(ctx)
			if err != nil || len(rep.Mismatches) != 0 || rep.Leaves != 5 || rep.CheckpointSize != 5 {
				t.Fatalf("audit: %+v, %v", rep, err)
			}
		})
		t.Run("AlteredRowIsReported", func(t *testing.T) {
			raw := testdb.RawDB(t, url)
			disable, update := `DROP TRIGGER registrations_immutable`, `UPDATE registrations SET subject = 'altered' WHERE id = ?`
			if testdb.IsPostgres(url) {
				disable, update = `ALTER TABLE registrations DISABLE TRIGGER ALL`, `UPDATE registrations SET subject = 'altered' WHERE id = $1`
			}
			if _, err := raw.Exec(disable); err != nil {
				t.Fatalf("%s: %v", disable, err)
			}
			if _, err := raw.Exec(update, regs[2].ID); err != nil {
				t.Fatalf("%s: %v", update, err)
			}
			rep, err := e.log.Audit(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Mismatches) != 1 || rep.Mismatches[0].Identifier != regs[2].Identifier || rep.Mismatches[0].Index != 2 {
				t.Fatalf("mismatches %+v, want only %s at 2", rep.Mismatches, regs[2].Identifier)
			}
		})
	})
}
