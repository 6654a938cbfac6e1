package verify

import (
	"archive/zip"
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"

	"github.com/sportello/sportello/archive"
	"github.com/sportello/sportello/signing"
	"github.com/sportello/sportello/signing/tlog"
)

// maxPackageEntry bounds what one entry of a package may expand to, against zip bombs.
const maxPackageEntry = 4 << 30

// packageIndex is what the verifier reads of PIndex.xml (docs/package-format.md).
type packageIndex struct {
	XMLName       xml.Name `xml:"http://www.uni.com/U3011/sincro-v2/ PIndex"`
	Version       string   `xml:"http://www.uni.com/U3011/sincro-v2/ sincroVersion,attr"`
	ID            string   `xml:"SelfDescription>ID"`
	TimeReference string   `xml:"Process>TimeReference>TimeInfo"`
	Groups        []struct {
		ID    string `xml:"ID"`
		Files []struct {
			Path string `xml:"Path"`
			Hash struct {
				Value    string `xml:",chardata"`
				Function string `xml:"http://www.uni.com/U3011/sincro-v2/ hashFunction,attr"`
			} `xml:"Hash"`
		} `xml:"File"`
	} `xml:"FileGroup"`
}

// safeEntry is what a package's entry names may be (archive.SafeName's alphabet).
var safeEntry = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$`)

// pkg verifies an archive package: entries, index (and its schema, with Options.Schema),
// seal, time-stamp, every file's digest, the checkpoint and every inclusion proof, and that
// the logged leaves commit to the files. Each failure names the file it is about.
func (v *verifier) pkg(raw []byte) {
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		v.check(kPackageZip, "", err)
		return
	}
	files := map[string][]byte{}
	var bad []string
	for _, f := range zr.File {
		if !safeEntry.MatchString(f.Name) || files[f.Name] != nil {
			bad = append(bad, strconv.Quote(f.Name))
			continue
		}
		data, err := readEntry(f)
		if err != nil {
			v.check(kEntry, f.Name, err)
			continue
		}
		files[f.Name] = data
	}
	if len(bad) > 0 {
		v.check(kEntries, "", fmt.Errorf("unsafe or repeated entry names: %s", strings.Join(bad, ", ")))
	} else {
		v.check(kEntries, "", nil, fmt.Sprintf("%d entries", len(files)))
	}
	index, seal, tsr := files[archive.IndexName], files[archive.SealName], files[archive.TimestampName]
	for _, name := range []string{archive.IndexName, archive.SealName, archive.TimestampName} {
		if files[name] == nil {
			v.check(kPresent, name, errors.New("missing from the package"))
		}
	}
	if index == nil {
		return
	}
	var ix packageIndex
	if err := xml.Unmarshal(index, &ix); err != nil {
		v.check(kIndex, archive.IndexName, fmt.Errorf("not a UNI SInCRO index: %w", err))
		return
	}
	if ix.Version != "2.0" {
		v.check(kIndex, archive.IndexName, fmt.Errorf("sincroVersion %q, want 2.0", ix.Version))
	} else {
		v.check(kIndex, archive.IndexName, nil, "UNI SInCRO 2.0, time reference "+ix.TimeReference)
	}
	v.indexSchema(index)
	sealCert := v.packageSeal(index, seal)
	v.packageTimestamp(seal, tsr)
	v.packageFiles(ix, files)
	v.packageProofs(files, sealCert)
	v.packageDossier(files)
}

func readEntry(f *zip.File) ([]byte, error) {
	if f.UncompressedSize64 > maxPackageEntry {
		return nil, fmt.Errorf("%d bytes, more than a package entry may hold", f.UncompressedSize64)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxPackageEntry+1))
	if err == nil && len(data) == 0 {
		data = []byte{} // present, even if empty
	}
	return data, err
}

// indexSchema validates the index with Options.Schema, or notes that it was not.
func (v *verifier) indexSchema(index []byte) {
	if v.opts.Schema == nil {
		v.note(NoteSchemaNotChecked, v.opts.SchemaNote, v.opts.SchemaNoteIT)
		return
	}
	detail, err := v.opts.Schema(index)
	v.check(kIndexSchema, "", err, detail)
}

// packageSeal checks the detached CAdES seal over the index and returns the sealing
// certificate it trusts.
func (v *verifier) packageSeal(index, seal []byte) *x509.Certificate {
	if seal == nil {
		return nil
	}
	p7, err := pkcs7.Parse(seal)
	if err != nil {
		v.check(kSeal, archive.SealName, err)
		return nil
	}
	var embedded []byte
	if len(p7.Certificates) > 0 {
		embedded = p7.Certificates[0].Raw
	}
	cert := v.trust(sealingRole, embedded)
	p7.Content = index
	err = p7.Verify()
	if err == nil && cert != nil && (p7.GetOnlySigner() == nil || !p7.GetOnlySigner().Equal(cert)) {
		err = errors.New("sealed by another certificate than the trusted one")
	}
	if err != nil {
		v.check(kSeal, archive.SealName, fmt.Errorf("does not verify over %s: %w", archive.IndexName, err))
		return cert
	}
	v.check(kSeal, archive.SealName, nil, "CAdES detached over "+archive.IndexName)
	return cert
}

// packageTimestamp checks that the reply is granted, dates the seal, and is signed by a TSA
// the verifier trusts.
func (v *verifier) packageTimestamp(seal, tsr []byte) {
	if seal == nil || tsr == nil {
		return
	}
	ts, err := timestamp.ParseResponse(tsr)
	if err != nil {
		v.check(kTimestamp, archive.TimestampName, err)
		return
	}
	tsa := v.trust(tsaRole, tsaDER(nil, ts.RawToken))
	if tsa == nil {
		v.check(kTimestamp, archive.TimestampName, errors.New("no trusted TSA certificate"))
		return
	}
	roots := x509.NewCertPool()
	roots.AddCert(tsa)
	sum := sha256.Sum256(seal)
	info, err := signing.VerifyToken(ts.RawToken, sum[:], crypto.SHA256, nil, roots)
	if err != nil {
		v.check(kTimestamp, archive.TimestampName, fmt.Errorf("over %s: %w", archive.SealName, err))
		return
	}
	v.check(kTimestamp, archive.TimestampName, nil, info.Time.UTC().Format(time.RFC3339))
}

// packageFiles checks every file the index lists against its hash, that nothing else is in
// the package, and the content ID.
func (v *verifier) packageFiles(ix packageIndex, files map[string][]byte) {
	listed := map[string]bool{}
	var lines []string
	failures, n := 0, 0
	for _, g := range ix.Groups {
		for _, f := range g.Files {
			n++
			listed[f.Path] = true
			data, ok := files[f.Path]
			sum := sha256.Sum256(data)
			lines = append(lines, hex.EncodeToString(sum[:])+"  "+f.Path+"\n")
			switch {
			case !ok:
				failures++
				v.check(kFile, f.Path, errors.New("listed in the index but missing from the package"))
			case f.Hash.Function != archive.HashFunction:
				failures++
				v.check(kFile, f.Path, fmt.Errorf("hash function %q, want %s", f.Hash.Function, archive.HashFunction))
			case strings.TrimSpace(f.Hash.Value) != base64.StdEncoding.EncodeToString(sum[:]):
				failures++
				v.check(kFile, f.Path, fmt.Errorf("SHA-256 %s, the index says %s", base64.StdEncoding.EncodeToString(sum[:]), f.Hash.Value))
			}
		}
	}
	var extra []string
	for name := range files {
		if !listed[name] && name != archive.IndexName && name != archive.SealName && name != archive.TimestampName {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		failures++
		v.check(kFile, name, errors.New("in the package but not in the index"))
	}
	if failures > 0 {
		return // the content ID cannot match either: the failures above say why
	}
	v.check(kFiles, "", nil, fmt.Sprintf("%d listed, every SHA-256 matches", n))
	sort.Slice(lines, func(i, j int) bool { return lines[i][66:] < lines[j][66:] })
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
	}
	if id := hex.EncodeToString(h.Sum(nil)); id != ix.ID {
		v.check(kIndexID, "", fmt.Errorf("SelfDescription/ID %s is not the content's %s", ix.ID, id))
	}
}

// packageProofs checks the checkpoint and every receipt's inclusion proof against it, and
// that each leaf commits to the files it is about.
func (v *verifier) packageProofs(files map[string][]byte, seal *x509.Certificate) {
	checkpoints := map[uint64]checkpointJSON{}
	for name, data := range files {
		if !strings.HasPrefix(name, "checkpoints/") || !strings.HasSuffix(name, ".json") {
			continue
		}
		var cp archive.Checkpoint
		if err := json.Unmarshal(data, &cp); err != nil {
			v.check(kCheckpoint, name, err)
			continue
		}
		if name != archive.CheckpointPath(cp.Size) {
			v.check(kCheckpoint, name, fmt.Errorf("holds the checkpoint of size %d", cp.Size))
			continue
		}
		note := strings.TrimSuffix(name, ".json") + ".note"
		c := checkpointJSON{Origin: cp.Origin, Size: cp.Size, RootHash: cp.Root, Time: cp.Time, Signature: cp.Signature,
			KeyFingerprint: cp.KeyFingerprint, TimestampToken: cp.TimestampToken, Note: string(files[note])}
		tsa := v.trust(tsaRole, tsaDER(nil, cp.TimestampToken))
		v.checkpoint(c, seal, tsa)
		checkpoints[cp.Size] = c
	}
	if len(checkpoints) == 0 {
		v.check(kCheckpoint, "", errors.New("the package holds no checkpoint"))
		return
	}
	var names []string
	for name := range files {
		if strings.HasSuffix(name, "receipt.json") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	failures := 0
	for _, name := range names {
		if err := packageReceipt(name, files, checkpoints); err != nil {
			failures++
			v.check(kProof, name, err)
		}
	}
	if len(names) == 0 {
		v.check(kProofs, "", errors.New("the package holds no receipt"))
	} else if failures == 0 {
		v.check(kProofs, "", nil, fmt.Sprintf("%d leaves in the checkpoint's tree, each committing to its files", len(names)))
	}
}

// packageReceipt checks one receipt: inclusion in its checkpoint, and its leaf against files.
func packageReceipt(name string, files map[string][]byte, checkpoints map[uint64]checkpointJSON) error {
	var rc archive.Receipt
	if err := json.Unmarshal(files[name], &rc); err != nil {
		return err
	}
	cp, ok := checkpoints[rc.CheckpointSize]
	if !ok {
		return fmt.Errorf("names checkpoint %d, which the package does not hold", rc.CheckpointSize)
	}
	if !bytes.Equal(tlog.LeafHash(rc.Leaf), rc.LeafHash) {
		return errors.New("leaf_hash is not SHA-256(0x00 || leaf)")
	}
	if err := tlog.VerifyInclusion(rc.Leaf, rc.LeafIndex, cp.Size, rc.InclusionProof, cp.RootHash); err != nil {
		return err
	}
	var leaf struct {
		Kind        string   `json:"kind"`
		Document    string   `json:"document"`
		Attachments []string `json:"attachments"`
		JSON        string   `json:"json_sha256"`
		PDF         string   `json:"pdf_sha256"`
	}
	if err := json.Unmarshal(rc.Leaf, &leaf); err != nil {
		return fmt.Errorf("leaf: %w", err)
	}
	digest := func(path string) string {
		data, ok := files[path]
		if !ok {
			return "missing"
		}
		sum := sha256.Sum256(data)
		return hex.EncodeToString(sum[:])
	}
	switch leaf.Kind {
	case tlog.KindRegistration:
		dir := strings.TrimSuffix(name, "receipt.json")
		var docs, atts []string
		for p := range files {
			switch {
			case strings.HasPrefix(p, dir+"document/"):
				docs = append(docs, p)
			case strings.HasPrefix(p, dir+"attachments/"):
				atts = append(atts, p)
			}
		}
		sort.Strings(atts)
		if disposal, ok := files[dir+"disposal.json"]; ok {
			if err := disposedFiles(disposal, leaf.Document, leaf.Attachments, len(docs)+len(atts)); err != nil {
				return fmt.Errorf("%sdisposal.json: %w", dir, err)
			}
			break
		}
		if len(docs) != 1 || digest(docs[0]) != leaf.Document {
			return fmt.Errorf("the logged document %s is not the file in %sdocument/", leaf.Document, dir)
		}
		if len(atts) != len(leaf.Attachments) {
			return fmt.Errorf("the log lists %d attachments, %sattachments/ holds %d", len(leaf.Attachments), dir, len(atts))
		}
		for i, a := range atts {
			if digest(a) != leaf.Attachments[i] {
				return fmt.Errorf("%s is not the logged attachment %d (%s)", a, i+1, leaf.Attachments[i])
			}
		}
		if reg, ok := files[dir+"registration.json"]; ok {
			if got, err := tlog.LeafFromJSON(tlog.KindRegistration, reg); err != nil || !bytes.Equal(got, rc.Leaf) {
				return fmt.Errorf("%sregistration.json does not encode to the logged leaf", dir)
			}
		}
		if pdf, ok := files[dir+"receipt.pdf"]; ok {
			if err := packagePDFReceipt(pdf, rc); err != nil {
				return fmt.Errorf("%sreceipt.pdf: %w", dir, err)
			}
		}
	case tlog.KindJournal:
		base := strings.TrimSuffix(name, ".receipt.json")
		if digest(base+".json") != leaf.JSON || digest(base+".pdf") != leaf.PDF {
			return fmt.Errorf("%s.json or %s.pdf is not the logged journal", base, base)
		}
	}
	return nil
}

// disposedFiles checks a disposed registration's disposal record: the package holds none of
// its content (held files), and the record lists the files the log committed to, the document
// first, then the attachments in order (hex SHA-256).
func disposedFiles(raw []byte, document string, attachments []string, held int) error {
	var rec archive.DisposalRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return err
	}
	switch {
	case held > 0:
		return errors.New("the registration is disposed of, but the package holds its content")
	case rec.ID == "" || rec.Authorization == "" || rec.At.IsZero():
		return errors.New("no disposal id, authorisation or time")
	case len(rec.Item.Files) != 1+len(attachments):
		return fmt.Errorf("lists %d destroyed files, the log %d", len(rec.Item.Files), 1+len(attachments))
	}
	for i, f := range rec.Item.Files {
		want := document
		if i > 0 {
			want = attachments[i-1]
		}
		if f.SHA256 != want {
			return fmt.Errorf("destroyed file %d (%s) is %s, the log says %s", i+1, f.Filename, f.SHA256, want)
		}
	}
	return nil
}

// packagePDFReceipt checks a registration's PDF receipt in a package: it embeds the same leaf,
// index, checkpoint and inclusion proof as the receipt.json beside it. It carries no seal of its
// own: the package's sealed index covers it (docs/package-format.md).
func packagePDFReceipt(pdf []byte, rc archive.Receipt) error {
	js, err := signing.ReceiptJSON(pdf)
	if err != nil {
		return err
	}
	var in receiptFile
	if err := json.Unmarshal(js, &in); err != nil {
		return fmt.Errorf("embedded receipt: %w", err)
	}
	same := in.LeafIndex == rc.LeafIndex && bytes.Equal(in.Leaf, rc.Leaf) && in.Checkpoint.Size == rc.CheckpointSize &&
		len(in.InclusionProof) == len(rc.InclusionProof)
	for i := 0; same && i < len(in.InclusionProof); i++ {
		same = bytes.Equal(in.InclusionProof[i], rc.InclusionProof[i])
	}
	if !same {
		return errors.New("embeds another leaf, checkpoint or proof than receipt.json")
	}
	return nil
}

// packageDossier checks a dossier package's aggregate metadata: IndiceDocumenti lists every
// registration of the package with the digest its logged leaf commits to (the primary
// document's SHA-256, in base64). Other entries are the dossier's unregistered documents,
// which packages do not hold: they are counted, not checked.
func (v *verifier) packageDossier(files map[string][]byte) {
	raw, ok := files[archive.DossierMetadataPath]
	if !ok {
		return
	}
	var m struct {
		IdDoc []struct {
			Impronta       string `xml:"ImprontaCrittograficaDelDocumento>Impronta"`
			Identificativo string `xml:"Identificativo"`
		} `xml:"IndiceDocumenti>IdDoc"`
	}
	if err := xml.Unmarshal(raw, &m); err != nil {
		v.check(kDossier, archive.DossierMetadataPath, err)
		return
	}
	// The registrations of the package: identifier → the logged document digest, base64.
	regs := map[string]string{}
	for name, data := range files {
		if !strings.HasPrefix(name, "registrations/") || !strings.HasSuffix(name, "/receipt.json") {
			continue
		}
		var rc archive.Receipt
		var leaf struct {
			Identifier string `json:"identifier"`
			Document   string `json:"document"`
		}
		if json.Unmarshal(data, &rc) != nil || json.Unmarshal(rc.Leaf, &leaf) != nil {
			continue // the proof check reports it
		}
		sum, err := hex.DecodeString(leaf.Document)
		if err != nil {
			continue
		}
		regs[leaf.Identifier] = base64.StdEncoding.EncodeToString(sum)
	}
	var errs []string
	listed := map[string]bool{}
	others := 0
	for _, d := range m.IdDoc {
		listed[d.Identificativo] = true
		switch want, ok := regs[d.Identificativo]; {
		case !ok:
			others++ // an unregistered document of the dossier: packages hold registrations only
		case want != d.Impronta:
			errs = append(errs, fmt.Sprintf("%s has Impronta %s, the logged document %s", d.Identificativo, d.Impronta, want))
		}
	}
	for id := range regs {
		if !listed[id] {
			errs = append(errs, id+" is in the package but not in IndiceDocumenti")
		}
	}
	sort.Strings(errs)
	if len(errs) > 0 {
		v.check(kDossier, archive.DossierMetadataPath, errors.New(strings.Join(errs, "; ")))
		return
	}
	v.check(kDossier, archive.DossierMetadataPath, nil, fmt.Sprintf("IndiceDocumenti lists the %d registrations with their logged digests, and %d other documents", len(regs), others))
}
