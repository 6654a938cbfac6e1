package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/signing/tlog"
	"github.com/sportello/sportello/verify"
)

// verifyAuditCmd implements `sportello verify --audit EXPORT` (offline: an NDJSON export of
// GET /v1/audit/export) and `sportello verify --audit --data [configuration flags]` (the
// configured database). Both recompute the hash chain and name the first event that breaks it
// (docs/audit.md).
func verifyAuditCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 0 && (args[0] == "--data" || args[0] == "-data") {
		cfg, err := app.Load(args[1:], getenv)
		if err != nil {
			return err
		}
		return verifyAuditData(ctx, cfg, stdout)
	}
	var opts verifyOptions
	fs := flag.NewFlagSet("sportello verify --audit", flag.ContinueOnError)
	fs.StringVar(&opts.fingerprint, "fingerprint", "", "require this sealing certificate (hex SHA-256 of its DER)")
	fs.StringVar(&opts.certificate, "certificate", "", "sealing certificate file (PEM or DER), to check the anchors' checkpoints")
	fs.BoolVar(&opts.json, "json", false, "print the report as JSON")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return errors.New("usage: sportello verify --audit [--certificate FILE] [--fingerprint HEX] [--json] EXPORT.ndjson\n" +
			"       sportello verify --audit --data [configuration flags]")
	}
	f, err := os.Open(files[0])
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	defer f.Close()
	v := &auditVerifier{opts: opts}
	v.auditExport(f)
	return v.result(stdout)
}

// auditVerifier collects the checks of an audit chain in the report `sportello verify` prints
// for every other file (verifyFile), lines or --json.
type auditVerifier struct {
	opts verifyOptions
	rep  verify.Report
	// noSealNote, when set, is the note that says why the checkpoints' signatures are not
	// checked, instead of the advice to pass --certificate.
	noSealNote string
}

func (v *auditVerifier) check(name string, err error, detail ...string) {
	c := verify.Check{Name: name, NameIT: name, OK: err == nil}
	if err != nil {
		c.Error = err.Error()
		v.rep.Failed = append(v.rep.Failed, name)
	} else if len(detail) > 0 {
		c.Detail = detail[0]
	}
	v.rep.Checks = append(v.rep.Checks, c)
}

func (v *auditVerifier) note(text string) {
	v.rep.Notes = append(v.rep.Notes, verify.Note{ID: "audit", Text: text, IT: text})
}

// sealingKey is the public key the anchors' checkpoints must be signed with: the certificate
// file given, which must have the fingerprint given, if any.
func (v *auditVerifier) sealingKey() (any, error) {
	der, err := readCertFile(v.opts.certificate)
	if err != nil {
		return nil, fmt.Errorf("--certificate: %w", err)
	}
	if der == nil {
		return nil, errors.New("--fingerprint needs --certificate: the export carries no certificate")
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("--certificate: %w", err)
	}
	sum := sha256.Sum256(cert.Raw)
	if fp := v.opts.fingerprint; fp != "" && !strings.EqualFold(strings.ReplaceAll(fp, ":", ""), hex.EncodeToString(sum[:])) {
		return nil, fmt.Errorf("the certificate's fingerprint is %x, not %s", sum, fp)
	}
	return cert.PublicKey, nil
}

// result prints the report, lines or --json, and fails when a check did.
func (v *auditVerifier) result(out io.Writer) error {
	v.rep.OK = len(v.rep.Failed) == 0
	if v.rep.Checks == nil {
		v.rep.Checks = []verify.Check{}
	}
	if v.opts.json {
		if err := writeJSONReport(out, v.rep); err != nil {
			return err
		}
	} else {
		printReport(out, v.rep)
	}
	if !v.rep.OK {
		return fmt.Errorf("%w: %s", errVerifyFailed, strings.Join(v.rep.Failed, "; "))
	}
	return nil
}

// auditExport checks an NDJSON export: the chain event by event, that it reaches the head the
// header names, and each anchor: its leaf names the hash the chain has at that seq, its
// inclusion proof leads to its checkpoint's root, and the checkpoint is signed by the sealing key.
func (v *auditVerifier) auditExport(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 64<<20)
	var hdr api.AuditExportHeader
	if !sc.Scan() {
		v.check("audit export", fmt.Errorf("empty file: %v", sc.Err()))
		return
	}
	if err := json.Unmarshal(sc.Bytes(), &hdr); err != nil || hdr.Kind != "audit_export" {
		v.check("audit export", fmt.Errorf("the first line is not an audit export header (%v)", err))
		return
	}
	v.check("audit export", nil, fmt.Sprintf("head seq %d, %d anchors", hdr.Head.Seq, len(hdr.Anchors)))
	check := domain.AuditChecker{ChainedFrom: hdr.Head.ChainedFrom}
	watch := newAnchorWatch(hdr.Anchors, hdr.Head.ChainedFrom)
	var broken error
	for line := 2; sc.Scan(); line++ {
		var e api.AuditEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Kind != "audit_event" {
			broken = fmt.Errorf("line %d is not an audit event (%v)", line, err)
			break
		}
		de := fromAPIAuditEvent(e)
		if err := check.Add(de); err != nil {
			broken = err
			break
		}
		watch.see(de)
	}
	if broken == nil {
		broken = sc.Err()
	}
	seq, hash := check.Head()
	stopped := broken != nil // the walk stopped at a broken event; not when it only ends short of the head
	if broken == nil && (seq != hdr.Head.Seq || hash != hdr.Head.Hash) {
		broken = fmt.Errorf("the export ends at seq %d, short of the head seq %d: the events after seq %d are missing", seq, hdr.Head.Seq, seq)
	}
	v.check("audit chain", broken, fmt.Sprintf("%d events, %d of them from before the chain", check.Checked, check.Legacy))
	v.auditAnchors(hdr.Anchors, watch, seq, stopped)
}

// anchorWatch remembers, while a chain is walked, the hash it has at each anchored seq, and the
// id of the event after each anchored seq and of the first chained event: the events a failed
// anchor blames.
type anchorWatch struct {
	hash map[int64]string // anchored seq → the hash the chain has there ("" when it does not reach it)
	ids  map[int64]int64  // seq → id, for the seqs after an anchor and the first chained seq
	from int64            // the first chained seq
}

func newAnchorWatch(anchors []api.AuditAnchor, chainedFrom int64) *anchorWatch {
	w := &anchorWatch{hash: map[int64]string{}, ids: map[int64]int64{}, from: max(chainedFrom, 1)}
	w.ids[w.from] = 0
	for _, a := range anchors {
		w.hash[a.Seq] = ""
		w.ids[a.Seq+1] = 0
	}
	return w
}

// see records an event the checker accepted.
func (w *anchorWatch) see(e domain.AuditEvent) {
	if _, ok := w.hash[e.Seq]; ok {
		w.hash[e.Seq] = e.Hash
	}
	if _, ok := w.ids[e.Seq]; ok {
		w.ids[e.Seq] = e.ID
	}
}

// event names the event at seq, with its id when the walk saw it.
func (w *anchorWatch) event(seq int64) string {
	if id := w.ids[seq]; id != 0 {
		return fmt.Sprintf("seq %d (id %d)", seq, id)
	}
	return fmt.Sprintf("seq %d", seq)
}

// auditAnchors checks each anchor against the chain walked (w: the hash it has at each anchored
// seq; last: the last seq it reached, stopped: whether it stopped there at a broken event) and
// the log; anchors after a break are not checked, the break is named already. When the chain no longer leads to the hash
// the log holds at an anchor, a last check names the first event after the last anchor that
// still holds: the first that may have been altered, inserted or removed by someone who then
// recomputed the hashes after it.
func (v *auditVerifier) auditAnchors(anchors []api.AuditAnchor, w *anchorWatch, last int64, stopped bool) {
	if len(anchors) == 0 {
		v.note("no anchor: the chain's head was not yet logged in the transparency log")
		return
	}
	var seal any
	if v.opts.certificate != "" || v.opts.fingerprint != "" {
		key, err := v.sealingKey()
		v.check("sealing certificate", err)
		seal = key
	} else if v.noSealNote != "" {
		v.note(v.noSealNote)
	} else {
		v.note("the anchors' checkpoint signatures are not checked: pass --certificate with the sealing certificate")
	}
	good, bad := int64(0), int64(-1) // the last anchored seq that holds before the first that does not
	skipped := 0
	for _, a := range slices.SortedFunc(slices.Values(anchors), func(x, y api.AuditAnchor) int { return cmp.Compare(x.Seq, y.Seq) }) {
		if stopped && a.Seq > last {
			skipped++
			continue
		}
		name := fmt.Sprintf("anchor of seq %d (leaf %d)", a.Seq, a.Index)
		var leaf struct {
			Kind string `json:"kind"`
			Seq  int64  `json:"seq"`
			Hash string `json:"hash"`
		}
		rewritten := false
		err := json.Unmarshal([]byte(a.Leaf), &leaf)
		switch {
		case err != nil:
		case leaf.Kind != tlog.KindAuditHead || leaf.Seq != a.Seq || leaf.Hash != a.Hash:
			err = fmt.Errorf("the leaf %s does not name seq %d with hash %s", a.Leaf, a.Seq, a.Hash)
		case a.Seq > last:
			rewritten = true
			err = fmt.Errorf("the log holds seq %d, the chain ends at seq %d: events were removed from the end", a.Seq, last)
		case w.hash[a.Seq] != a.Hash:
			rewritten = true
			err = fmt.Errorf("the chain has hash %s at seq %d, the log %s: the chain was rewritten up to seq %d", w.hash[a.Seq], a.Seq, a.Hash, a.Seq)
		default:
			err = tlog.VerifyInclusion([]byte(a.Leaf), a.Index, a.Checkpoint.Size, a.Proof, a.Checkpoint.RootHash)
		}
		if err == nil && seal != nil {
			c := a.Checkpoint
			cp := tlog.Checkpoint{Origin: c.Origin, Size: c.Size, Root: c.RootHash, Time: c.Time, Signature: c.Signature,
				KeyFingerprint: c.KeyFingerprint}
			if !bytes.Equal(cp.Note(), []byte(c.Note)) {
				err = fmt.Errorf("checkpoint %d: the note is not the signed form of its fields", c.Size)
			} else if err = tlog.VerifyCheckpoint(cp, seal); err != nil {
				err = fmt.Errorf("checkpoint %d: %w", c.Size, err)
			}
		}
		switch {
		case rewritten && bad < 0:
			bad = a.Seq
		case err == nil && bad < 0:
			good = a.Seq
		}
		v.check(name, err, "hash "+shortHex(a.Hash)+", checkpoint "+fmt.Sprint(a.Checkpoint.Size))
	}
	if skipped > 0 {
		v.note(fmt.Sprintf("%d anchors after seq %d not checked: the chain breaks before them", skipped, last))
	}
	if bad >= 0 {
		first := max(good+1, w.from)
		since := "no anchor before it holds"
		if good > 0 {
			since = fmt.Sprintf("the last anchor that holds is seq %d", good)
		}
		v.check("audit anchoring", fmt.Errorf("audit event %s is the first that may have been altered, inserted or removed: "+
			"the chain no longer leads to the hash the log holds at seq %d, %s", w.event(first), bad, since))
	}
}

func shortHex(h string) string {
	if _, err := hex.DecodeString(h); err != nil || len(h) < 16 {
		return h
	}
	return h[:16] + "…"
}

// fromAPIAuditEvent is the domain event an exported line stands for.
func fromAPIAuditEvent(e api.AuditEvent) domain.AuditEvent {
	return domain.AuditEvent{ID: e.ID, Seq: e.Seq, At: e.At, Actor: e.Actor, Person: e.Person, ActorName: e.ActorName,
		Action: e.Action, EntityKind: e.ObjectKind, EntityID: e.ObjectID, Field: e.Field, Old: []byte(e.Old),
		New: []byte(e.New), Detail: e.Detail, RequestID: e.RequestID, ClientAddress: e.ClientAddress,
		PrevHash: e.PrevHash, Hash: e.Hash}
}

// verifyAuditData checks the chain in the database of an existing installation, that it
// reaches the head row, and its anchors in the database's transparency log: each logged head
// must be the hash the chain has at that seq, and lead by its inclusion proof to the latest
// checkpoint's root. The anchors are read before the head, so that a server at work meanwhile
// only adds events after them.
func verifyAuditData(ctx context.Context, cfg app.Config, stdout io.Writer) error {
	m := app.New(cfg, cfg.Logger())
	defer m.Close()
	if err := m.OpenExisting(ctx); err != nil {
		return err
	}
	v := &auditVerifier{noSealNote: "the anchors' checkpoint signatures are not checked against the database; " +
		"to check them too, verify an export (GET /v1/audit/export) with --certificate"}
	leaves, err := m.DB.AuditAnchors(ctx)
	if err != nil {
		return err
	}
	anchors, err := api.AuditAnchorsOf(ctx, &tlog.Log{Store: m.DB}, leaves, math.MaxInt64)
	if err != nil {
		return err
	}
	head, err := m.DB.AuditChainHead(ctx)
	if err != nil {
		return err
	}
	check := domain.AuditChecker{ChainedFrom: head.ChainedFrom}
	watch := newAnchorWatch(anchors, head.ChainedFrom)
	f := domain.AuditFilter{Limit: domain.MaxLimit}
	var broken error
	for broken == nil {
		page, err := m.DB.AuditTrail(ctx, f)
		if err != nil {
			return err
		}
		for _, e := range page.Items {
			if broken = check.Add(e); broken != nil {
				break
			}
			watch.see(e)
		}
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	seq, hash := check.Head()
	stopped := broken != nil // the walk stopped at a broken event; not when it only ends short of the head
	if broken == nil && (seq < head.Seq || (seq == head.Seq && hash != head.Hash)) {
		broken = fmt.Errorf("the chain ends at seq %d, short of the head seq %d: the events after seq %d are missing", seq, head.Seq, seq)
	}
	v.check("audit chain", broken, fmt.Sprintf("%d events, %d of them from before the chain", check.Checked, check.Legacy))
	v.auditAnchors(anchors, watch, seq, stopped)
	return v.result(stdout)
}
