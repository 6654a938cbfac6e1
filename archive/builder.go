package archive

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/signing/tlog"
)

// Laws names the rules a package follows, in its index's LawsAndRegulations.
const Laws = "DPCM 3 dicembre 2013 (regole tecniche sulla conservazione); Linee guida AgID sulla formazione, " +
	"gestione e conservazione dei documenti informatici (2021), allegati 4 e 5; UNI 11386:2020 (SInCRO)"

// ProducerDocument is the document that qualifies the producer in the index (RelevantDocument).
const ProducerDocument = "Manuale di gestione documentale dell'AOO"

// Builder builds archive packages (the jobs.PackageBuilder of the package job): it reads what a
// package's request names, lays its files out (docs/package-format.md), seals and time-stamps
// its index, stores the zip in the blob store and records the package ready, or failed.
type Builder struct {
	Service  *domain.Service
	Journals domain.JournalStore
	Log      *tlog.Log
	Sealing  Sealing
	// Signer is the sealing certificate's subject, as the index names the AuthorizedSigner.
	Signer string
	// Version is Sportello's version, in the index's CreatingApplication.
	Version string
	Logger  *slog.Logger
	// TempDir holds the zip while it is built ("" for the system's temporary folder): a
	// package is streamed to a file there, never held in memory.
	TempDir string
	// ReceiptPDF, when set, renders the PDF receipt of a registration proved by rc (the page a
	// requester downloads, against the package's checkpoint, unsealed: the package's seal covers
	// it), for the package to carry beside receipt.json. It must give the same bytes for the
	// same receipt.
	ReceiptPDF func(ctx context.Context, r *domain.Registration, rc Receipt, cp tlog.Checkpoint) ([]byte, error)
}

// archivist is who the builder reads a dossier's aggregate metadata as: a records officer sees
// every item, so the metadata list them all.
var archivist = domain.Principal{ID: "archive", Name: "archive packages", Roles: []domain.Role{domain.RoleRecordsOfficer}}

// errNotYet marks a package whose facts the log has not covered with a checkpoint yet: the job
// tries again later.
var errNotYet = errors.New("not yet in a signed checkpoint of the transparency log")

// BuildPackage builds the package id if it is still building. A failure that another attempt
// cannot cure (an item gone, a file whose bytes no longer match their digest) records it failed
// at once; any other is returned for the job to retry, and recorded on the last attempt.
func (b *Builder) BuildPackage(ctx context.Context, id string, last bool) error {
	st := b.Service.Store
	p, err := st.ArchivePackage(ctx, id)
	if err != nil {
		return err
	}
	if p.State != domain.PackageBuilding {
		return nil
	}
	res, err := b.build(ctx, p)
	if err != nil {
		permanent := domain.IsCode(err, domain.ECNotFound) || domain.IsCode(err, domain.ECValidation) ||
			domain.IsCode(err, domain.ECGone) || errors.Is(err, ErrDigestMismatch)
		if !permanent && !last {
			return err
		}
		if b.Logger != nil {
			b.Logger.Error("archive package failed", "package", id, "err", err)
		}
		res = domain.PackageResult{State: domain.PackageFailed, Reason: err.Error(), At: b.Service.Now().UTC()}
	}
	return st.FinishPackage(ctx, id, res)
}

// build assembles, builds and stores the package.
func (b *Builder) build(ctx context.Context, p *domain.ArchivePackage) (domain.PackageResult, error) {
	a := &assembly{b: b, files: nil, groups: map[string]IndexGroup{}}
	items, err := a.collect(ctx, p.Request)
	if err != nil {
		return domain.PackageResult{}, err
	}
	cp, err := a.checkpoint(ctx)
	if err != nil {
		return domain.PackageResult{}, err
	}
	if err := a.proofs(ctx, cp); err != nil {
		return domain.PackageResult{}, err
	}
	aoo, err := b.Service.AOO(ctx)
	if err != nil {
		return domain.PackageResult{}, err
	}
	label, desc := "Pacchetto di archiviazione", "Pacchetto di archiviazione (AIP) prodotto da Sportello"
	if p.Kind == domain.PackageDIP {
		label, desc = "Pacchetto di distribuzione", "Pacchetto di distribuzione (DIP) prodotto da Sportello"
	}
	ix := Index{Label: label, Description: desc, ApplicationVersion: b.Version,
		Producer: aoo.Name + " (" + aoo.IPACode + "-" + aoo.Code + ")", ProducerDocument: ProducerDocument,
		Signer: b.Signer, TimeReference: cp.Time, Laws: Laws}
	for _, g := range a.groups {
		ix.Groups = append(ix.Groups, g)
	}
	out, err := os.CreateTemp(b.TempDir, "sportello-package-"+SafeName(p.ID)+"-*.zip")
	if err != nil {
		return domain.PackageResult{}, fmt.Errorf("package %s: %w", p.ID, err)
	}
	defer func() {
		_ = out.Close()
		_ = os.Remove(out.Name())
	}()
	built, err := BuildTo(ctx, ix, a.files, b.Sealing, out, b.TempDir)
	if err != nil {
		return domain.PackageResult{}, fmt.Errorf("package %s: %w", p.ID, err)
	}
	if _, err := out.Seek(0, io.SeekStart); err != nil {
		return domain.PackageResult{}, fmt.Errorf("package %s: %w", p.ID, err)
	}
	sum, size, err := b.Service.Blobs.Put(ctx, out)
	if err != nil {
		return domain.PackageResult{}, fmt.Errorf("store package %s: %w", p.ID, err)
	}
	return domain.PackageResult{State: domain.PackageReady, Items: items, Files: built.Files, Size: size, SHA256: sum,
		IndexSHA256: hex.EncodeToString(built.IndexSHA256), At: b.Service.Now().UTC()}, nil
}

// assembly gathers a package's files and the log leaves they need proved.
type assembly struct {
	b      *Builder
	files  []Entry
	groups map[string]IndexGroup
	// leaves are the log facts to prove: their proof files are written once the checkpoint is
	// chosen.
	leaves []leafRef
}

// leafRef is one log fact of a package: its kind and entity, and where its proof goes.
type leafRef struct {
	kind, entity, path, group string
	index                     uint64
	data                      []byte
	// reg is the registration of a registration leaf, whose PDF receipt goes beside its proof.
	reg *domain.Registration
}

func (a *assembly) add(group, path, format string, data []byte) {
	a.files = append(a.files, Entry{Path: path, Group: group, Format: format, Data: data})
}

// addBlob adds a stored file, streamed from the blob store when the zip is written and
// checked against its digest as it is copied.
func (a *assembly) addBlob(group, path, format, sum, what string) {
	blobs := a.b.Service.Blobs
	a.files = append(a.files, Entry{Path: path, Group: group, Format: format, SHA256: sum,
		Open: func(ctx context.Context) (io.ReadCloser, error) {
			rc, err := blobs.Open(ctx, sum)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", what, err)
			}
			return rc, nil
		}})
}

// collect adds the request's registrations, or its journals, and returns how many items it added.
func (a *assembly) collect(ctx context.Context, req domain.PackageRequest) (int, error) {
	st := a.b.Service.Store
	var regs []*domain.Registration
	switch {
	case req.Dossier != "":
		d, err := st.Dossier(ctx, req.Dossier)
		if err != nil {
			return 0, err
		}
		if err := a.dossier(ctx, d); err != nil {
			return 0, err
		}
		for _, it := range d.Items {
			if it.Registration == nil {
				continue
			}
			r, err := st.RegistrationByID(ctx, it.Registration.ID)
			if err != nil {
				return 0, err
			}
			regs = append(regs, r)
		}
	case req.Journals != nil:
		js, err := a.b.Journals.Journals(ctx, req.Journals.Register, req.Journals.From, req.Journals.To)
		if err != nil {
			return 0, err
		}
		if len(js) == 0 {
			return 0, domain.Invalid("journals", "register %s has no journal from %s to %s", req.Journals.Register, req.Journals.From, req.Journals.To)
		}
		if err := a.b.Service.PackageLimits.Check(len(js), 0); err != nil {
			return 0, err
		}
		for _, j := range js {
			if err := a.journal(ctx, j); err != nil {
				return 0, err
			}
		}
		return len(js), nil
	default:
		for _, s := range req.Registrations {
			ref, _ := domain.ParseRef(s)
			r, err := st.Registration(ctx, ref)
			if err != nil {
				return 0, err
			}
			regs = append(regs, r)
		}
	}
	var size int64
	for _, r := range regs {
		size += domain.PackageSize(r)
	}
	// Checked again at build time: a dossier may have grown since the request.
	if err := a.b.Service.PackageLimits.Check(len(regs), size); err != nil {
		return 0, err
	}
	sort.Slice(regs, func(i, j int) bool { return regs[i].Identifier < regs[j].Identifier })
	journals := map[string]bool{}
	for _, r := range regs {
		if err := a.registration(ctx, r); err != nil {
			return 0, err
		}
		key := domain.JournalEntityID(r.Register, r.Date)
		if journals[key] {
			continue
		}
		journals[key] = true
		j, err := a.b.Journals.Journal(ctx, r.Register, r.Date)
		if domain.IsCode(err, domain.ECNotFound) {
			continue // the day is not over, or its journal not produced yet
		}
		if err != nil {
			return 0, err
		}
		if err := a.journal(ctx, j); err != nil {
			return 0, err
		}
	}
	return len(regs), nil
}

// RegistrationFolder is the folder of a registration in a package: "registrations/" and the
// register, year and seven-digit number joined by "-".
func RegistrationFolder(r *domain.Registration) string {
	return "registrations/" + registrationGroup(r)
}

func registrationGroup(r *domain.Registration) string {
	return SafeName(r.Register + "-" + strconv.Itoa(r.Year) + "-" + domain.FormatNumber(r.Number))
}

// registration adds r's files, metadata and registration JSON, and its facts to prove.
func (a *assembly) registration(ctx context.Context, r *domain.Registration) error {
	g, dir := registrationGroup(r), RegistrationFolder(r)+"/"
	a.groups[g] = IndexGroup{ID: g, Label: r.Identifier, Description: "Registrazione di protocollo " + r.Ref().String()}
	if r.Disposal == nil {
		a.addBlob(g, dir+"document/"+SafeName(r.Document.Filename), r.Document.MediaType, r.Document.SHA256, r.Ref().String()+" document")
		for i, f := range r.Attachments {
			a.addBlob(g, fmt.Sprintf("%sattachments/%02d-%s", dir, i+1, SafeName(f.Filename)), f.MediaType, f.SHA256,
				fmt.Sprintf("%s attachment %d", r.Ref(), i+1))
		}
	} else if err := a.disposal(ctx, r, g, dir); err != nil {
		return err
	}
	m, err := a.b.Service.MetadataOf(ctx, r)
	if err != nil {
		return err
	}
	meta, err := RegistrationMetadataXML(m)
	if err != nil {
		return err
	}
	a.add(g, dir+"metadata.xml", "application/xml", meta)
	// The change-feed position and the text extraction's state are processing, not record: they
	// are left out (zero) so that they do not make two packages of the same record differ.
	rec := *r
	rec.Position, rec.TextStatus = 0, ""
	js, err := json.MarshalIndent(&rec, "", "  ")
	if err != nil {
		return fmt.Errorf("registration %s: %w", r.Ref(), err)
	}
	a.add(g, dir+"registration.json", "application/json", append(js, '\n'))
	a.leaves = append(a.leaves, leafRef{kind: tlog.KindRegistration, entity: r.ID, path: dir + "receipt.json", group: g, reg: &rec})
	if r.Annulment != nil {
		a.leaves = append(a.leaves, leafRef{kind: tlog.KindAnnulment, entity: r.ID, path: dir + "annulment-receipt.json", group: g})
	}
	return nil
}

// journal adds a daily journal's JSON and signed PDF, and its fact to prove.
func (a *assembly) journal(ctx context.Context, j domain.Journal) error {
	g := "journals"
	a.groups[g] = IndexGroup{ID: g, Label: "Registri giornalieri di protocollo"}
	base := "journals/" + SafeName(j.Register+"-"+j.Date)
	a.addBlob(g, base+".json", "application/json", j.JSONSHA256, "journal "+j.EntityID()+" JSON")
	a.addBlob(g, base+".pdf", "application/pdf", j.PDFSHA256, "journal "+j.EntityID()+" PDF")
	a.leaves = append(a.leaves, leafRef{kind: tlog.KindJournal, entity: j.EntityID(), path: base + ".receipt.json", group: g})
	return nil
}

// checkpoint finds every fact's leaf and returns the smallest checkpoint that covers them all:
// the same facts are always proved against the same checkpoint, so the same content gives the
// same package.
func (a *assembly) checkpoint(ctx context.Context) (tlog.Checkpoint, error) {
	var top uint64
	for i := range a.leaves {
		l := &a.leaves[i]
		index, data, err := a.b.Log.LeafByEntity(ctx, l.kind, l.entity)
		if domain.IsCode(err, domain.ECNotFound) {
			return tlog.Checkpoint{}, fmt.Errorf("%s %s: %w", l.kind, l.entity, errNotYet)
		}
		if err != nil {
			return tlog.Checkpoint{}, err
		}
		l.index, l.data = index, data
		top = max(top, index)
	}
	cps, err := a.b.Log.Store.TLogCheckpoints(ctx, top, 1, false)
	if err != nil {
		return tlog.Checkpoint{}, err
	}
	if len(cps) == 0 {
		return tlog.Checkpoint{}, fmt.Errorf("leaf %d: %w", top, errNotYet)
	}
	return tlog.Checkpoint(cps[0]), nil
}

// Receipt is a fact's proof file in a package: the leaf, its index, the inclusion proof and
// the size of the checkpoint (checkpoints/<size>.json) it is proved against, as a receipt
// carries them.
type Receipt struct {
	Kind           string   `json:"kind"`
	Entity         string   `json:"entity"`
	LeafIndex      uint64   `json:"leaf_index"`
	Leaf           []byte   `json:"leaf"`
	LeafHash       []byte   `json:"leaf_hash"`
	CheckpointSize uint64   `json:"checkpoint_size"`
	InclusionProof [][]byte `json:"inclusion_proof"`
}

// Checkpoint is a checkpoint's file in a package (checkpoints/<size>.json): its signed note's
// fields, signature, key fingerprint and RFC 3161 token, binary values in standard base64.
type Checkpoint struct {
	Origin         string    `json:"origin"`
	Size           uint64    `json:"size"`
	Root           []byte    `json:"root"`
	Time           time.Time `json:"time"`
	Signature      []byte    `json:"signature"`
	KeyFingerprint string    `json:"key_fingerprint"`
	TimestampToken []byte    `json:"timestamp_token,omitempty"`
}

// CheckpointPath is where a package keeps the checkpoint of a size.
func CheckpointPath(size uint64) string {
	return "checkpoints/" + strconv.FormatUint(size, 10) + ".json"
}

// proofs writes every fact's receipt against cp, and cp itself with its note.
func (a *assembly) proofs(ctx context.Context, cp tlog.Checkpoint) error {
	for _, l := range a.leaves {
		proof, err := a.b.Log.InclusionProof(ctx, l.index, cp.Size)
		if err != nil {
			return err
		}
		if proof == nil {
			proof = [][]byte{}
		}
		rc := Receipt{Kind: l.kind, Entity: l.entity, LeafIndex: l.index, Leaf: l.data,
			LeafHash: tlog.LeafHash(l.data), CheckpointSize: cp.Size, InclusionProof: proof}
		js, err := json.MarshalIndent(rc, "", "  ")
		if err != nil {
			return err
		}
		a.add(l.group, l.path, "application/json", append(js, '\n'))
		if l.reg != nil && a.b.ReceiptPDF != nil {
			pdf, err := a.b.ReceiptPDF(ctx, l.reg, rc, cp)
			if err != nil {
				return fmt.Errorf("receipt PDF of %s: %w", l.reg.Ref(), err)
			}
			a.add(l.group, strings.TrimSuffix(l.path, ".json")+".pdf", "application/pdf", pdf)
		}
	}
	js, err := json.MarshalIndent(Checkpoint{Origin: cp.Origin, Size: cp.Size, Root: cp.Root, Time: cp.Time.UTC(),
		Signature: cp.Signature, KeyFingerprint: cp.KeyFingerprint, TimestampToken: cp.TimestampToken}, "", "  ")
	if err != nil {
		return err
	}
	a.groups["checkpoints"] = IndexGroup{ID: "checkpoints", Label: "Checkpoint del registro di trasparenza"}
	a.add("checkpoints", CheckpointPath(cp.Size), "application/json", append(js, '\n'))
	a.add("checkpoints", "checkpoints/"+strconv.FormatUint(cp.Size, 10)+".note", "text/plain", cp.Note())
	return nil
}

// DossierMetadataPath is where a dossier package keeps the dossier's Allegato 5 aggregate
// metadata (AggregazioneDocumentaliInformatiche).
const DossierMetadataPath = "dossier/metadata.xml"

// dossier adds the dossier's aggregate metadata, as a records officer sees them: every item.
func (a *assembly) dossier(ctx context.Context, d *domain.Dossier) error {
	m, err := a.b.Service.DossierAggregateMetadata(ctx, archivist, d.ID)
	if err != nil {
		return err
	}
	x, err := AggregateMetadataXML(m)
	if err != nil {
		return err
	}
	a.groups["dossier"] = IndexGroup{ID: "dossier", Label: d.Identifier, Description: "Fascicolo " + d.Identifier + ": " + d.Subject}
	a.add("dossier", DossierMetadataPath, "application/xml", x)
	return nil
}

// DisposalRecord is a disposed registration's disposal.json in a package: the disposal that
// destroyed its content (its id, the authorising act, the date it was checked on, who and
// when) and what it destroyed of this registration, every file by name and SHA-256 (hex), the
// primary document first, then the attachments in order.
type DisposalRecord struct {
	ID            string              `json:"id"`
	Authorization string              `json:"authorization"`
	Date          string              `json:"date"`
	By            string              `json:"by"`
	ByName        string              `json:"by_name"`
	At            time.Time           `json:"at"`
	Item          domain.DisposedItem `json:"item"`
}

// disposal adds a disposed registration's disposal record in place of its content.
func (a *assembly) disposal(ctx context.Context, r *domain.Registration, g, dir string) error {
	d, err := a.b.Service.Store.Disposal(ctx, r.Disposal.ID)
	if err != nil {
		return fmt.Errorf("disposal of %s: %w", r.Ref(), err)
	}
	rec := DisposalRecord{ID: d.ID, Authorization: d.Authorization, Date: d.Date, By: d.By, ByName: d.ByName, At: d.At.UTC()}
	found := false
	for _, it := range d.Items {
		if it.ID == r.ID {
			rec.Item, found = it, true
			break
		}
	}
	if !found {
		return fmt.Errorf("disposal %s does not list %s", d.ID, r.Ref())
	}
	js, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	a.add(g, dir+"disposal.json", "application/json", append(js, '\n'))
	return nil
}
