package tlog_test

import (
	"testing"
	"time"

	"github.com/sportello/sportello/internal/testdb"
	"github.com/sportello/sportello/signing/tlog"
)

// alterSubject changes a registration's subject with its guard disabled.
func alterSubject(t *testing.T, url, id string) {
	t.Helper()
	testdb.Tamper(t, url, []string{`DROP TRIGGER registrations_immutable`, `UPDATE registrations SET subject = 'altered' WHERE id = ?`},
		[]string{`ALTER TABLE registrations DISABLE TRIGGER ALL`, `UPDATE registrations SET subject = 'altered' WHERE id = $1`}, id)
}

// deleteLeaf deletes the leaf of an entity with the log's guard disabled.
func deleteLeaf(t *testing.T, url, kind, id string) {
	t.Helper()
	testdb.Tamper(t, url, []string{`DROP TRIGGER tlog_leaves_no_delete`, `DELETE FROM tlog_leaves WHERE kind = ? AND entity_id = ?`},
		[]string{`ALTER TABLE tlog_leaves DISABLE TRIGGER tlog_leaves_guard`, `DELETE FROM tlog_leaves WHERE kind = $1 AND entity_id = $2`},
		kind, id)
}

func TestAudit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		ctx := t.Context()
		regs := e.register(t, 4)
		e.annul(t, regs[1].ID)
		e.checkpoint(t)

		t.Run("CleanDatabaseHasNoMismatch", func(t *testing.T) {
			rep, err := e.log.Audit(ctx, tlog.AuditOptions{})
			if err != nil || !rep.OK() || len(rep.Pending) != 0 || rep.Leaves != 5 || rep.CheckpointSize != 5 {
				t.Fatalf("audit: %+v, %v", rep, err)
			}
		})
		t.Run("AlteredRowIsReported", func(t *testing.T) {
			alterSubject(t, url, regs[2].ID)
			rep, err := e.log.Audit(ctx, tlog.AuditOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Mismatches) != 1 || rep.Mismatches[0].Identifier != regs[2].Identifier || rep.Mismatches[0].Index != 2 {
				t.Fatalf("mismatches %+v, want only %s at 2", rep.Mismatches, regs[2].Identifier)
			}
		})
		t.Run("RecentAuditChecksTheLastLeavesOnly", func(t *testing.T) {
			rep, err := e.log.Audit(ctx, tlog.AuditOptions{Recent: 2}) // leaves 3 and 4: not the altered 2
			if err != nil || rep.Leaves != 2 || len(rep.Mismatches) != 0 || rep.CheckpointSize != 0 {
				t.Fatalf("audit of the last 2 leaves: %+v, %v", rep, err)
			}
			rep, err = e.log.Audit(ctx, tlog.AuditOptions{Recent: 3})
			if err != nil || rep.Leaves != 3 || len(rep.Mismatches) != 1 || rep.Mismatches[0].Identifier != regs[2].Identifier {
				t.Fatalf("audit of the last 3 leaves: %+v, %v", rep, err)
			}
		})
	})
}

// TestAuditUnlogged: registrations and annulments without a leaf are pending within the lag
// and never logged past it, whether the sequencer never reached them or their leaf was deleted.
func TestAuditUnlogged(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		ctx := t.Context()
		regs := e.register(t, 3)
		e.checkpoint(t)
		annulled := e.annul(t, regs[0].ID) // at testNow + 1h, not integrated
		late := e.register(t, 1)[0]        // at testNow, not integrated
		deleteLeaf(t, url, tlog.KindRegistration, regs[1].ID)

		at := func(now time.Time) func() time.Time { return func() time.Time { return now } }
		t.Run("WithinTheLagArePending", func(t *testing.T) {
			rep, err := e.log.Audit(ctx, tlog.AuditOptions{Lag: 3 * time.Hour, Now: at(testNow.Add(2 * time.Hour))})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Unlogged) != 0 || len(rep.Pending) != 3 {
				t.Fatalf("unlogged %+v, pending %+v: want all 3 pending", rep.Unlogged, rep.Pending)
			}
		})
		t.Run("PastTheLagAreNeverLogged", func(t *testing.T) {
			rep, err := e.log.Audit(ctx, tlog.AuditOptions{Lag: 90 * time.Minute, Now: at(testNow.Add(2 * time.Hour))})
			if err != nil {
				t.Fatal(err)
			}
			got := map[[2]string]bool{}
			for _, f := range rep.Unlogged {
				got[[2]string{f.Kind, f.Identifier}] = true
			}
			want := [][2]string{{tlog.KindRegistration, regs[1].Identifier}, {tlog.KindRegistration, late.Identifier}}
			if len(rep.Unlogged) != 2 || !got[want[0]] || !got[want[1]] {
				t.Fatalf("unlogged %+v, want %v", rep.Unlogged, want)
			}
			if len(rep.Pending) != 1 || rep.Pending[0].Kind != tlog.KindAnnulment || rep.Pending[0].Identifier != annulled.Identifier {
				t.Fatalf("pending %+v, want the annulment of %s", rep.Pending, annulled.Identifier)
			}
			if rep.OK() {
				t.Fatal("a report with facts never logged is OK")
			}
		})
		t.Run("DeletedLeafLeavesAGap", func(t *testing.T) {
			rep, err := e.log.Audit(ctx, tlog.AuditOptions{Lag: tlog.DefaultLag})
			if err != nil {
				t.Fatal(err)
			}
			var gap bool
			for _, mm := range rep.Mismatches {
				gap = gap || (mm.Kind == "leaf" && mm.Index == 1)
			}
			if !gap {
				t.Fatalf("mismatches %+v: want the missing leaf 1", rep.Mismatches)
			}
		})
		t.Run("RecentRegistrationsOnly", func(t *testing.T) {
			// The last registration only: regs[1] is older; every annulment is looked at.
			rep, err := e.log.Audit(ctx, tlog.AuditOptions{Recent: 1})
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[string]string{}
			for _, f := range rep.Unlogged {
				kinds[f.Identifier] = f.Kind
			}
			if len(kinds) != 2 || kinds[late.Identifier] != tlog.KindRegistration || kinds[annulled.Identifier] != tlog.KindAnnulment {
				t.Fatalf("unlogged %+v, want %s and the annulment of %s", rep.Unlogged, late.Identifier, annulled.Identifier)
			}
		})
	})
}
