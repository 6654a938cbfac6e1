package signing

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
)

// JournalAttachmentName is the name under which a journal PDF embeds the journal's canonical
// JSON, so that the signed PDF alone carries the machine-checkable list as well.
const JournalAttachmentName = "journal.json"

// JournalContent is what a daily journal (registro giornaliero di protocollo) shows: one
// register's registrations of one protocol date, in number order. The caller fills it from the
// same data as the canonical JSON, which is embedded verbatim.
type JournalContent struct {
	AOO      string
	Register string
	// Date is the protocol date, "YYYY-MM-DD", reckoned in Location.
	Date     string
	Location *time.Location
	Entries  []JournalEntry
	JSON     []byte
	// JSONSHA256 is the digest of JSON, printed so that a reader can compare it with the log.
	JSONSHA256 string
	// ProducedAt is when the journal was produced (the PDF's creation date).
	ProducedAt time.Time
}

// JournalEntry is one registration of the day.
type JournalEntry struct {
	Identifier     string
	Number         string
	RegisteredAt   time.Time
	Direction      string
	Subject        string
	Correspondents []string
	DocumentSHA256 string
	// Emergency is the emergency number and date of a registration loaded from the emergency
	// register ("12 del 2026-11-30"), "" for any other.
	Emergency string
	// ImageCopy says, for an image copy of a paper original, the conformity's attestation as
	// printed ("attestata da Anna Verdi il 2026-11-20", "non attestata"); "" for any other document.
	ImageCopy string
	// SenderNumber and SenderDate ("YYYY-MM-DD") are the sender's own protocol reference as
	// given, "" when not given.
	SenderNumber, SenderDate string
	// Attachments are the registered attachments in order, each with its digest.
	Attachments []ReceiptFile
	// Class is the voce di titolario and Offices the UOR codes the registration had when the
	// day ended; "" and none when it had none.
	Class   string
	Offices []string
	// Annulment is nil unless the registration was annulled that day.
	Annulment *JournalAnnulment
}

// JournalAnnulment marks an annulled registration with the reference of the authorising act as
// given (Authorization, printed verbatim: the act's own number and date are in it, not
// inferred from At, which is when the annulment was recorded).
type JournalAnnulment struct {
	At                    time.Time
	Authorization, Reason string
}

// RenderJournal draws c as an unsigned A4 PDF with Italian labels, in the same core fonts and
// layout as receipts, and embeds c.JSON as JournalAttachmentName. Seal it with SignPDF: the
// journal must be signed and time-stamped (docs/compliance.md D1).
func RenderJournal(c JournalContent) ([]byte, error) {
	loc := c.Location
	if loc == nil {
		loc = time.UTC
	}
	title := "Registro giornaliero di protocollo " + c.Register + " del " + italianDate(c.Date)
	p := fpdf.New("P", "mm", "A4", "")
	p.SetCompression(true)
	p.SetCreationDate(c.ProducedAt.UTC())
	p.SetProducer("Sportello", false)
	p.SetCreator("Sportello", false)
	p.SetTitle(title, true)
	p.SetSubject("Registro giornaliero di protocollo", true)
	p.SetMargins(18, 18, 18)
	p.SetAutoPageBreak(true, 18)
	p.SetAttachments([]fpdf.Attachment{{Content: c.JSON, Filename: JournalAttachmentName,
		Description: "Registro giornaliero in formato JSON canonico"}})
	w := &receiptWriter{p: p, tr: cp1252(p)}
	p.AliasNbPages("")
	p.SetFooterFunc(func() {
		p.SetY(-12)
		p.SetFont("Helvetica", "", 8)
		p.CellFormat(0, 5, w.tr(fmt.Sprintf("%s - pagina %d di {nb}", title, p.PageNo())), "", 0, "C", false, 0, "")
	})
	p.AddPage()

	w.title("Registro giornaliero di protocollo")
	w.field("Amministrazione / AOO", c.AOO)
	w.field("Registro", c.Register)
	w.field("Data di protocollo", italianDate(c.Date)+" ("+loc.String()+")")
	w.field("Registrazioni", strconv.Itoa(len(c.Entries)))
	annulled := 0
	for _, e := range c.Entries {
		if e.Annulment != nil {
			annulled++
		}
	}
	w.field("di cui annullate", strconv.Itoa(annulled))
	w.digest("Impronta SHA-256 di "+JournalAttachmentName+" (allegato)", c.JSONSHA256)

	w.section("Registrazioni")
	for _, e := range c.Entries {
		w.entry(e, loc)
	}

	w.section("Verifica")
	w.text("Il registro è sigillato elettronicamente (PAdES) e marcato temporalmente (RFC 3161); le impronte " +
		"del file JSON allegato e di questo PDF sono iscritte nel registro di trasparenza (foglia di tipo journal). " +
		"Il registro riporta lo stato delle registrazioni al termine della giornata: gli annullamenti successivi " +
		"risultano dal registro di trasparenza e non modificano questo documento.")

	var out bytes.Buffer
	if err := p.Output(&out); err != nil {
		return nil, fmt.Errorf("render journal %s %s: %w", c.Register, c.Date, err)
	}
	return out.Bytes(), nil
}

// entry prints one registration: a heading line, then subject, correspondents, sender reference,
// class, offices, digest, attachments and, for an annulled one, the annulment.
func (w *receiptWriter) entry(e JournalEntry, loc *time.Location) {
	head := fmt.Sprintf("N. %s - %s - ore %s - %s", e.Number, e.Identifier,
		e.RegisteredAt.In(loc).Format("15:04:05"), direction(e.Direction))
	if e.Annulment != nil {
		head += " - ANNULLATA"
	}
	w.p.Ln(1)
	w.p.SetFont("Helvetica", "B", 9)
	w.p.MultiCell(0, 5, w.tr(head), "T", "L", false)
	w.small("Oggetto", e.Subject)
	w.small("Corrispondenti", strings.Join(e.Correspondents, "; "))
	if e.SenderNumber != "" || e.SenderDate != "" {
		ref := "n. " + e.SenderNumber
		if e.SenderDate != "" {
			ref += " del " + italianDate(e.SenderDate)
		}
		w.small("Protocollo del mittente", ref)
	}
	w.small("Classificazione", orNone(e.Class, "non classificata"))
	w.small("Uffici", orNone(strings.Join(e.Offices, ", "), "nessuno"))
	if e.Emergency != "" {
		w.small("Registro di emergenza", "n. "+e.Emergency)
	}
	if e.ImageCopy != "" {
		w.small("Copia per immagine", "conformità "+e.ImageCopy)
	}
	w.p.SetFont("Courier", "", 8)
	w.p.MultiCell(0, 4, w.tr("SHA-256 "+e.DocumentSHA256), "", "L", false)
	w.small("Allegati", strconv.Itoa(len(e.Attachments)))
	for i, a := range e.Attachments {
		w.p.SetFont("Courier", "", 8)
		w.p.MultiCell(0, 4, w.tr(fmt.Sprintf("%d. SHA-256 %s %s", i+1, a.SHA256, a.Filename)), "", "L", false)
	}
	if a := e.Annulment; a != nil {
		w.small("Annullamento", fmt.Sprintf("provvedimento di autorizzazione: %s; motivo: %s; registrato il %s",
			a.Authorization, a.Reason, a.At.In(loc).Format("02/01/2006 15:04:05")))
	}
}

// orNone is s, or none when s is empty.
func orNone(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

func (w *receiptWriter) small(label, value string) {
	w.p.SetFont("Helvetica", "", 8)
	w.p.MultiCell(0, 4, w.tr(label+": "+value), "", "L", false)
}

// italianDate turns "2006-01-02" into "02/01/2006", leaving anything else as it is.
func italianDate(d string) string {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return d
	}
	return t.Format("02/01/2006")
}
