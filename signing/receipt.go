package signing

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
)

// ReceiptAttachmentName is the name under which a receipt PDF embeds its machine-readable
// receipt (the JSON the API answers), so that one file carries both what a person reads and
// what a verifier checks.
const ReceiptAttachmentName = "receipt.json"

// ReceiptContent is what a receipt of registration (ricevuta di protocollazione) shows. The
// caller fills it from the registration and its log proof; JSON is embedded verbatim.
type ReceiptContent struct {
	// AOO is the administration and its homogeneous organisational area, as printed.
	AOO          string
	Register     string
	Identifier   string
	Number       string
	RegisteredAt time.Time
	// Location is where the protocol date is reckoned (Europe/Rome); the time is shown there
	// and in UTC.
	Location  *time.Location
	Direction string
	// Emergency is the emergency register entry a registration was loaded from (art. 63),
	// as printed: "n. 12 del 2026-11-30 (interruzione …)"; "" for any other registration.
	Emergency string
	// ImageCopy says, as printed, that the document is an image copy of a paper original and
	// who attested its conformity: "conformità attestata da … il …"; "" for any other document.
	ImageCopy      string
	Subject        string
	Correspondents []ReceiptCorrespondent
	Document       ReceiptFile
	Attachments    []ReceiptFile
	// Annulment is set for an annulled registration: the receipt then says so under its title,
	// before anything else, with the date, the reason and the authorising act.
	Annulment *ReceiptAnnulment

	LeafIndex      uint64
	CheckpointSize uint64
	// CheckpointRoot is the checkpoint's root hash, standard base64 as in the note.
	CheckpointRoot string
	CheckpointTime time.Time
	// SealFingerprint is the SHA-256 of the sealing certificate, to compare with /v1/info.
	SealFingerprint string
	JSON            []byte
}

// ReceiptAnnulment is the annulment of a registration as a receipt prints it: when it was
// recorded, why, and the authorising act's reference as given.
type ReceiptAnnulment struct {
	At                    time.Time
	Reason, Authorization string
}

// ReceiptCorrespondent is one sender or recipient.
type ReceiptCorrespondent struct {
	Role, Name string
}

// ReceiptFile is a registered file and its digest (impronta).
type ReceiptFile struct {
	Filename, SHA256 string
}

// RenderReceipt draws c as an unsigned one- or more-page A4 PDF with Italian labels, in the
// core Helvetica and Courier fonts (cp1252, so accented Italian prints without embedding a
// font), and embeds c.JSON as the document attachment ReceiptAttachmentName. Seal the result
// with SignPDF; an unsigned receipt proves nothing.
func RenderReceipt(c ReceiptContent) ([]byte, error) {
	loc := c.Location
	if loc == nil {
		loc = time.UTC
	}
	p := fpdf.New("P", "mm", "A4", "")
	p.SetCompression(true)
	p.SetCreationDate(c.RegisteredAt.UTC())
	// Not the time of rendering: the same receipt gives the same bytes (an archive package
	// carries it unsealed and must be deterministic); a sealed copy is dated by its seal.
	p.SetModificationDate(c.RegisteredAt.UTC())
	p.SetCatalogSort(true)
	p.SetProducer("Sportello", false)
	p.SetCreator("Sportello", false)
	p.SetTitle("Ricevuta di protocollazione "+c.Identifier, true)
	p.SetSubject("Ricevuta di protocollazione", true)
	p.SetMargins(18, 18, 18)
	p.SetAutoPageBreak(true, 18)
	p.SetAttachments([]fpdf.Attachment{{Content: c.JSON, Filename: ReceiptAttachmentName,
		Description: "Ricevuta in formato JSON verificabile (sportello verify)"}})
	w := &receiptWriter{p: p, tr: cp1252(p)}
	p.AddPage()

	w.title("Ricevuta di protocollazione")
	if a := c.Annulment; a != nil {
		w.annulled(*a, loc)
	}
	w.field("Amministrazione / AOO", c.AOO)
	w.field("Registro", c.Register)
	w.field("Numero", c.Number)
	w.field("Segnatura", c.Identifier)
	w.field("Data e ora", c.RegisteredAt.In(loc).Format("02/01/2006 15:04:05 MST")+" ("+loc.String()+")")
	w.field("Data e ora (UTC)", c.RegisteredAt.UTC().Format("02/01/2006 15:04:05.000000")+" UTC")
	w.field("Verso", direction(c.Direction))
	if c.Emergency != "" {
		w.field("Registro di emergenza", c.Emergency)
	}
	if c.ImageCopy != "" {
		w.field("Copia per immagine", c.ImageCopy)
	}
	w.field("Oggetto", c.Subject)
	for _, k := range c.Correspondents {
		w.field(role(k.Role), k.Name)
	}

	w.section("Impronte SHA-256")
	w.digest("Documento principale: "+c.Document.Filename, c.Document.SHA256)
	for i, a := range c.Attachments {
		w.digest(fmt.Sprintf("Allegato %d: %s", i+1, a.Filename), a.SHA256)
	}

	w.section("Registro di trasparenza (RFC 6962)")
	w.field("Indice della foglia", strconv.FormatUint(c.LeafIndex, 10))
	w.field("Checkpoint: dimensione", strconv.FormatUint(c.CheckpointSize, 10))
	w.digest("Checkpoint: radice (base64)", c.CheckpointRoot)
	w.field("Checkpoint: data e ora", c.CheckpointTime.UTC().Format("02/01/2006 15:04:05.000000")+" UTC")
	w.digest("Impronta SHA-256 del certificato di sigillo", c.SealFingerprint)

	w.section("Verifica")
	w.text("Questa ricevuta è sigillata elettronicamente (PAdES) e marcata temporalmente (RFC 3161). " +
		"Contiene in allegato il file " + ReceiptAttachmentName + " con la registrazione, la foglia del registro " +
		"di trasparenza, il checkpoint firmato e la prova di inclusione: `sportello verify` li controlla senza " +
		"server né database. Confrontare l'impronta del certificato con quella pubblicata dall'amministrazione.")

	var out bytes.Buffer
	if err := p.Output(&out); err != nil {
		return nil, fmt.Errorf("render receipt %s: %w", c.Identifier, err)
	}
	return out.Bytes(), nil
}

// receiptWriter lays out label/value rows; every string passes through tr.
type receiptWriter struct {
	p  *fpdf.Fpdf
	tr func(string) string
}

const labelWidth = 58

func (w *receiptWriter) title(s string) {
	w.p.SetFont("Helvetica", "B", 16)
	w.p.CellFormat(0, 10, w.tr(s), "B", 1, "L", false, 0, "")
	w.p.Ln(4)
}

// annulled prints the banner of an annulled registration: a framed "REGISTRAZIONE ANNULLATA"
// line, then the date, reason and authorising act, in red.
func (w *receiptWriter) annulled(a ReceiptAnnulment, loc *time.Location) {
	w.p.SetTextColor(180, 0, 0)
	w.p.SetDrawColor(180, 0, 0)
	w.p.SetFont("Helvetica", "B", 14)
	w.p.CellFormat(0, 10, w.tr("REGISTRAZIONE ANNULLATA"), "1", 1, "C", false, 0, "")
	w.p.Ln(1)
	w.field("Annullata il", a.At.In(loc).Format("02/01/2006 15:04:05 MST")+" ("+loc.String()+")")
	w.field("Motivo", a.Reason)
	w.field("Provvedimento autorizzativo", a.Authorization)
	w.p.SetTextColor(0, 0, 0)
	w.p.SetDrawColor(0, 0, 0)
	w.p.Ln(3)
}

func (w *receiptWriter) section(s string) {
	w.p.Ln(4)
	w.p.SetFont("Helvetica", "B", 12)
	w.p.CellFormat(0, 8, w.tr(s), "B", 1, "L", false, 0, "")
	w.p.Ln(2)
}

func (w *receiptWriter) field(label, value string) {
	w.p.SetFont("Helvetica", "B", 10)
	w.p.CellFormat(labelWidth, 6, w.tr(label), "", 0, "L", false, 0, "")
	w.p.SetFont("Helvetica", "", 10)
	w.p.MultiCell(0, 6, w.tr(value), "", "L", false)
}

// digest prints a label line and the digest below it in Courier, where 64 hex digits fit.
func (w *receiptWriter) digest(label, value string) {
	w.p.SetFont("Helvetica", "", 9)
	w.p.MultiCell(0, 5, w.tr(label), "", "L", false)
	w.p.SetFont("Courier", "", 9)
	w.p.MultiCell(0, 5, w.tr(value), "", "L", false)
	w.p.Ln(1)
}

func (w *receiptWriter) text(s string) {
	w.p.SetFont("Helvetica", "", 9)
	w.p.MultiCell(0, 5, w.tr(s), "", "J", false)
}

// cp1252 returns a translator to the core fonts' encoding that turns every character cp1252
// lacks into "?": fpdf's own translator would pass such runes through as raw UTF-8 bytes and
// print mojibake.
func cp1252(p *fpdf.Fpdf) func(string) string {
	tr := p.UnicodeTranslatorFromDescriptor("")
	return func(s string) string {
		var b strings.Builder
		for _, r := range s {
			switch {
			case r == utf8.RuneError:
				b.WriteByte('?')
			case r < 0x80:
				b.WriteRune(r)
			default:
				if t := tr(string(r)); len(t) == 1 {
					b.WriteString(t)
				} else {
					b.WriteByte('?')
				}
			}
		}
		return b.String()
	}
}

func direction(d string) string {
	switch d {
	case "incoming":
		return "In entrata"
	case "outgoing":
		return "In uscita"
	case "internal":
		return "Interno"
	}
	return d
}

func role(r string) string {
	if r == "recipient" {
		return "Destinatario"
	}
	return "Mittente"
}
