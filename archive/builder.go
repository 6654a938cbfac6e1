package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strconv"
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
}

// errNotYet marks a package whose facts the log has not covered with a checkpoint yet: the job
// tries again later.
var errNotYet = errors.New("not yet in a signed checkpoint of the transparency log")

// errCorrupt marks a file whose stored bytes no longer match their digest: the package fails.
var errCorrupt = errors.New("integrity violation")

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
			domain.IsCode(err, domain.ECGone) || errors.Is(err, errCorrupt)
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
	built, err := Build(ctx, ix, a.files, b.Sealing)
	if err != nil {
		return domain.PackageResult{}, fmt.Errorf("package %s: %w", p.ID, err)
	}
	sum, size, err := b.Service.Blobs.Put(ctx, bytes.NewReader(built.Zip))
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
}

func (a *assembly) add(group, path, format string, data []byte) {
	a.files = append(a.files, Entry{Path: path, Group: group, Format: format, Data: data})
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
	if len(regs) > domain.MaxPackageRegistrations {
		return 0, domain.Invalid("dossier", "%d registrations, more than a package's %d", len(regs), domain.MaxPackageRegistrations)
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
	doc, err := a.blob(ctx, r.Document.SHA256, r.Ref().String()+" document")
	if err != nil {
		return err
	}
	a.add(g, dir+"document/"+SafeName(r.Document.Filename), r.Document.MediaType, doc)
	for i, f := range r.Attachments {
		data, err := a.blob(ctx, f.SHA256, fmt.Sprintf("%s attachment %d", r.Ref(), i+1))
		if err != nil {
			return err
		}
		a.add(g, fmt.Sprintf("%sattachments/%02d-%s", dir, i+1, SafeName(f.Filename)), f.MediaType, data)
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
	a.leaves = append(a.leaves, leafRef{kind: tlog.KindRegistration, entity: r.ID, path: dir + "receipt.json", group: g})
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
	js, err := a.blob(ctx, j.JSONSHA256, "journal "+j.EntityID()+" JSON")
	if err != nil {
		return err
	}
	pdf, err := a.blob(ctx, j.PDFSHA256, "journal "+j.EntityID()+" PDF")
	if err != nil {
		return err
	}
	a.add(g, base+".json", "application/json", js)
	a.add(g, base+".pdf", "application/pdf", pdf)
	a.leaves = append(a.leaves, leafRef{kind: tlog.KindJournal, entity: j.EntityID(), path: base + ".receipt.json", group: g})
	return nil
}

// blob reads the content with digest sum and checks it: a package never carries a file whose
// bytes are not those registered.
func (a *assembly) blob(ctx context.Context, sum, what string) ([]byte, error) {
	rc, err := a.b.Service.Blobs.Open(ctx, sum)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if got := sha256.Sum256(data); hex.EncodeToString(got[:]) != sum {
		return nil, fmt.Errorf("%s: %w: the stored bytes no longer match their digest %s", what, errCorrupt, sum)
	}
	return data, nil
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
		js, err := json.MarshalIndent(Receipt{Kind: l.kind, Entity: l.entity, LeafIndex: l.index, Leaf: l.data,
			LeafHash: tlog.LeafHash(l.data), CheckpointSize: cp.Size, InclusionProof: proof}, "", "  ")
		if err != nil {
			return err
		}
		a.add(l.group, l.path, "application/json", append(js, '\n'))
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
