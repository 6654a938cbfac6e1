package storage_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

func hash32(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// tlogBatch is a batch of n leaves after size, each with its level-0 node. Storage does not
// check the hashes, only that the log is continued.
func tlogBatch(size uint64, n int, cursor int64, ids ...string) domain.TLogBatch {
	b := domain.TLogBatch{State: domain.TLogState{Size: size + uint64(n), Cursor: domain.FeedCursor{Tx: cursor, Position: cursor},
		Range: [][]byte{hash32(9)}}}
	for i := range n {
		idx := size + uint64(i)
		b.Leaves = append(b.Leaves, domain.TLogLeaf{Index: idx, Kind: "registration", EntityID: ids[i],
			Data: []byte(`{"v":1}`), Hash: hash32(byte(idx)), IntegratedAt: testNow})
		b.Nodes = append(b.Nodes, domain.TLogNode{TLogNodeID: domain.TLogNodeID{Level: 0, Index: idx}, Hash: hash32(byte(idx))})
	}
	return b
}

func TestTLogAppend(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		st, err := f.db.AppendTLog(ctx, func(st domain.TLogState) (domain.TLogBatch, error) {
			if st.Size != 0 || len(st.Range) != 0 || st.Cursor != (domain.FeedCursor{}) {
				t.Errorf("initial state %+v", st)
			}
			return tlogBatch(0, 2, 5, "a", "b"), nil
		})
		if err != nil || st.Size != 2 {
			t.Fatalf("append: %+v, %v", st, err)
		}

		t.Run("StateReadsBack", func(t *testing.T) {
			st, err := f.db.TLogState(ctx)
			if err != nil || st.Size != 2 || st.Cursor.Position != 5 || len(st.Range) != 1 || !bytes.Equal(st.Range[0], hash32(9)) {
				t.Fatalf("state %+v, %v", st, err)
			}
			l, err := f.db.TLogLeafByEntity(ctx, "registration", "b")
			if err != nil || l.Index != 1 || !l.IntegratedAt.Equal(testNow.Truncate(1000)) {
				t.Fatalf("leaf b: %+v, %v", l, err)
			}
			hs, err := f.db.TLogNodes(ctx, []domain.TLogNodeID{{Level: 0, Index: 1}, {Level: 0, Index: 0}})
			if err != nil || !bytes.Equal(hs[0], hash32(1)) || !bytes.Equal(hs[1], hash32(0)) {
				t.Fatalf("nodes %x, %v", hs, err)
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := f.db.TLogLeafByEntity(ctx, "registration", "zz")
			wantCode(t, err, domain.ECNotFound)
			_, err = f.db.TLogNodes(ctx, []domain.TLogNodeID{{Level: 3, Index: 0}})
			wantCode(t, err, domain.ECNotFound)
		})
		t.Run("ErrGap", func(t *testing.T) {
			_, err := f.db.AppendTLog(ctx, func(st domain.TLogState) (domain.TLogBatch, error) {
				return tlogBatch(st.Size+1, 1, 6, "c"), nil
			})
			wantCode(t, err, domain.ECConflict)
		})
		t.Run("ErrEntityLoggedTwice", func(t *testing.T) {
			_, err := f.db.AppendTLog(ctx, func(st domain.TLogState) (domain.TLogBatch, error) {
				return tlogBatch(st.Size, 1, 6, "a"), nil
			})
			wantCode(t, err, domain.ECConflict)
		})
		t.Run("ErrCursorBackwards", func(t *testing.T) {
			_, err := f.db.AppendTLog(ctx, func(st domain.TLogState) (domain.TLogBatch, error) {
				return tlogBatch(st.Size, 1, 4, "c"), nil
			})
			wantCode(t, err, domain.ECConflict)
		})
		t.Run("BuildErrorRollsBack", func(t *testing.T) {
			boom := errors.New("boom")
			if _, err := f.db.AppendTLog(ctx, func(domain.TLogState) (domain.TLogBatch, error) { return domain.TLogBatch{}, boom }); !errors.Is(err, boom) {
				t.Fatalf("got %v", err)
			}
			if st, _ := f.db.TLogState(ctx); st.Size != 2 || st.Cursor.Position != 5 {
				t.Fatalf("state %+v after failed steps", st)
			}
		})
		t.Run("ErrRowsImmutable", func(t *testing.T) {
			for _, q := range []string{
				`UPDATE tlog_leaves SET kind = 'x' WHERE idx = 0`,
				`DELETE FROM tlog_leaves WHERE idx = 1`,
				`UPDATE tlog_nodes SET idx = 7 WHERE idx = 0`,
				`DELETE FROM tlog_nodes`,
				`UPDATE tlog_state SET size = 1`,
				`UPDATE tlog_state SET cursor_position = 1`,
				`DELETE FROM tlog_state`,
				`INSERT INTO tlog_state (id, size, cursor_tx, cursor_position, compact_range) VALUES (2, 0, 0, 0, ?)`,
				`INSERT INTO tlog_leaves (idx, kind, entity_id, leaf, leaf_hash, integrated_at) VALUES (5, 'registration', 'z', ?, ?, '2026-11-28T00:00:00Z')`,
			} {
				args := []any{}
				switch {
				case bytes.Count([]byte(q), []byte("?")) == 1:
					args = append(args, []byte{})
				case bytes.Count([]byte(q), []byte("?")) == 2:
					args = append(args, []byte("x"), hash32(1))
				}
				if err := f.exec(q, args...); err == nil {
					t.Errorf("%s: allowed", q)
				}
			}
			if n := f.queryInt(t, `SELECT count(*) FROM tlog_leaves`); n != 2 {
				t.Fatalf("%d leaves", n)
			}
		})
	})
}

func TestTLogCheckpoints(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		_, err := f.db.LatestTLogCheckpoint(ctx)
		wantCode(t, err, domain.ECNotFound)
		for _, size := range []uint64{1, 4, 9} {
			cp := domain.TLogCheckpoint{Origin: "o", Size: size, Root: hash32(byte(size)), Time: testNow,
				Signature: []byte("sig"), KeyFingerprint: "fp"}
			if size == 4 {
				cp.TimestampToken = []byte("tst")
			}
			if err := f.db.AddTLogCheckpoint(ctx, cp); err != nil {
				t.Fatal(err)
			}
		}
		t.Run("ErrSizeExists", func(t *testing.T) {
			err := f.db.AddTLogCheckpoint(ctx, domain.TLogCheckpoint{Origin: "o", Size: 4, Root: hash32(0), Time: testNow,
				Signature: []byte("s"), KeyFingerprint: "fp"})
			wantCode(t, err, domain.ECConflict)
		})
		t.Run("LatestAndMissingTokens", func(t *testing.T) {
			cp, err := f.db.LatestTLogCheckpoint(ctx)
			if err != nil || cp.Size != 9 || !bytes.Equal(cp.Root, hash32(9)) || !cp.Time.Equal(testNow.Truncate(1000)) {
				t.Fatalf("latest %+v, %v", cp, err)
			}
			missing, err := f.db.TLogCheckpoints(ctx, 0, 10, true)
			if err != nil || len(missing) != 2 || missing[0].Size != 1 || missing[1].Size != 9 {
				t.Fatalf("missing tokens %+v, %v", missing, err)
			}
		})
		t.Run("TokenAddedOnce", func(t *testing.T) {
			if err := f.db.SetTLogTimestamp(ctx, 1, []byte("tst")); err != nil {
				t.Fatal(err)
			}
			wantCode(t, f.db.SetTLogTimestamp(ctx, 1, []byte("other")), domain.ECConflict)
			wantCode(t, f.db.SetTLogTimestamp(ctx, 2, []byte("tst")), domain.ECNotFound)
		})
		t.Run("ErrRowsImmutable", func(t *testing.T) {
			for _, q := range []string{
				`UPDATE tlog_checkpoints SET size = 2 WHERE size = 1`,
				`UPDATE tlog_checkpoints SET tst = NULL WHERE size = 4`,
				`UPDATE tlog_checkpoints SET origin = 'p' WHERE size = 9`,
				`DELETE FROM tlog_checkpoints WHERE size = 9`,
			} {
				if err := f.exec(q); err == nil {
					t.Errorf("%s: allowed", q)
				}
			}
		})
	})
}
