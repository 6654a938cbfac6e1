// Package mail is the only place of Sportello that understands RFC 5322 and MIME messages and
// the envelope a PEC provider wraps around a certified message: Parse reads a message (from an
// uploaded .eml or a mailbox) into a domain.MailMessage, Compose writes the messages Sportello
// sends. Both rest on emersion/go-message.
package mail

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decode ISO-8859-*, Windows-125x and other charsets
	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
	"golang.org/x/text/encoding/charmap"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/signing/p7m"
)

// Bounds on the work one message may ask for. Real messages nest a few levels (a PEC envelope
// signed, holding a signed message with an alternative body: six or seven) and carry tens of
// parts; beyond these a message is crafted to exhaust the reader, and is refused.
const (
	// MaxDepth bounds the nesting of multiparts, signed envelopes and certified messages.
	MaxDepth = 24
	// MaxParts bounds the MIME parts of a message, those of a certified original included.
	MaxParts = 2000
)

// maxHeaderBytes bounds the header of the message and of each part.
const maxHeaderBytes = 1 << 20

var _ domain.MailParser = Parse

// Parse reads a message's bytes: headers, text, bodies, attachments in message order, the
// Segnatura.xml it carries and, for a PEC provider's envelope, what daticert.xml states and the
// certified original. Bytes that are not a message are ECValidation, and so is a message
// nested deeper than MaxDepth or with more than MaxParts parts; a damaged part is kept as far
// as it can be read.
func Parse(raw []byte) (*domain.MailMessage, error) {
	p := &parser{}
	return p.message(raw, 0)
}

// parser carries the budget of one Parse across the messages it reads one inside the other.
type parser struct {
	parts int
}

// message reads one message at the given depth.
func (p *parser) message(raw []byte, depth int) (*domain.MailMessage, error) {
	br := bufio.NewReader(bytes.NewReader(raw))
	th, err := readHeader(br)
	if err != nil || !looksLikeMessage(th) {
		return nil, domain.Errorf(domain.ECValidation, "not an e-mail message (RFC 5322)")
	}
	h := gomail.Header{Header: message.Header{Header: th}}
	m := &domain.MailMessage{Subject: headerText(h.Subject())}
	m.MessageID, _ = h.MessageID()
	m.MessageID = strings.Trim(m.MessageID, "<> ")
	m.From = first(addresses(h, "From"))
	m.To, m.Cc = addresses(h, "To"), addresses(h, "Cc")
	if d, err := h.Date(); err == nil {
		m.Date = d
	}
	w := &walker{p: p, m: m}
	if err := w.entity(h.Header, br, depth); err != nil {
		return nil, err
	}
	w.finish()
	if err := p.pec(m, h.Header, depth); err != nil {
		return nil, err
	}
	return m, nil
}

// readHeader reads a header block of at most maxHeaderBytes.
func readHeader(br *bufio.Reader) (textproto.Header, error) {
	peek, _ := br.Peek(maxHeaderBytes + 1)
	if len(peek) > maxHeaderBytes && !bytes.Contains(peek, []byte("\n\n")) && !bytes.Contains(peek, []byte("\r\n\r\n")) {
		return textproto.Header{}, errors.New("header too long")
	}
	return textproto.ReadHeader(br)
}

// looksLikeMessage reports whether h has at least one field every message has one of.
func looksLikeMessage(h textproto.Header) bool {
	for _, k := range []string{"From", "To", "Subject", "Date", "Message-Id", "Mime-Version", "Content-Type"} {
		if h.Has(k) {
			return true
		}
	}
	return false
}

// headerText is a decoded header value: an RFC 2047 word the reader could not decode is kept
// as it is, and raw 8-bit text that is not UTF-8 (old clients send ISO-8859-1 unencoded) is read
// as Windows-1252, the superset they mean.
func headerText(s string, _ error) string {
	return strings.TrimSpace(validUTF8(s))
}

// validUTF8 returns s, or s read as Windows-1252 when it is not UTF-8.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	if d, err := charmap.Windows1252.NewDecoder().String(s); err == nil {
		return d
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// addresses reads the address list of header key; a list the RFC 5322 reader refuses is read
// address by address, keeping those that parse.
func addresses(h gomail.Header, key string) []domain.MailAddress {
	list, err := h.AddressList(key)
	if err != nil {
		list = nil
		for _, f := range strings.Split(h.Get(key), ",") {
			if a, err := gomail.ParseAddress(strings.TrimSpace(f)); err == nil {
				list = append(list, a)
			}
		}
	}
	var out []domain.MailAddress
	for _, a := range list {
		out = append(out, domain.MailAddress{Name: validUTF8(a.Name), Address: a.Address})
	}
	return out
}

// first returns the first address of list, the zero address when there is none.
func first(list []domain.MailAddress) domain.MailAddress {
	if len(list) == 0 {
		return domain.MailAddress{}
	}
	return list[0]
}

// walker collects the bodies and attachments of one message as it reads its parts.
type walker struct {
	p           *parser
	m           *domain.MailMessage
	plain, html *string
}

// entity reads one MIME entity, with header h and the body that follows in r.
func (w *walker) entity(h message.Header, r io.Reader, depth int) error {
	if depth > MaxDepth {
		return budgetError("the message nests parts deeper than %d levels", MaxDepth)
	}
	if w.p.parts++; w.p.parts > MaxParts {
		return budgetError("the message has more than %d parts", MaxParts)
	}
	mt, params, err := h.ContentType()
	if err != nil {
		mt, params = "application/octet-stream", nil
	}
	mt = strings.ToLower(mt)
	switch {
	case strings.HasPrefix(mt, "multipart/") && params["boundary"] != "":
		return w.multipart(r, params["boundary"], depth)
	case isP7M(mt, params):
		return w.opaqueSigned(h, r, depth)
	}
	return w.leaf(h, mt, r)
}

// multipart reads the parts of a multipart body in order. The parts of a multipart/signed
// (S/MIME) are its signed content, read as the message, and the signature, kept as a file.
func (w *walker) multipart(r io.Reader, boundary string, depth int) error {
	mr := textproto.NewMultipartReader(r, boundary)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil { // a damaged multipart: keep what was read
			return nil
		}
		if err := w.entity(message.Header{Header: part.Header}, part, depth+1); err != nil {
			return err
		}
	}
}

// isP7M reports an S/MIME opaque-signed entity (application/pkcs7-mime, signed-data).
func isP7M(mt string, params map[string]string) bool {
	if mt != "application/pkcs7-mime" && mt != "application/x-pkcs7-mime" {
		return false
	}
	st := strings.ToLower(params["smime-type"])
	return st == "" || st == "signed-data"
}

// opaqueSigned reads an S/MIME opaque-signed entity: the envelope is kept as a file
// (smime.p7m) and the entity it signs is read as the message. An envelope that does not open
// (an encrypted one, say) stays a file only.
func (w *walker) opaqueSigned(h message.Header, r io.Reader, depth int) error {
	data, err := decoded(h, r)
	if err != nil {
		return nil
	}
	w.attach(h, "application/pkcs7-mime", data, "smime.p7m")
	_, content, err := p7m.Open(data)
	if err != nil {
		return nil
	}
	br := bufio.NewReader(bytes.NewReader(content))
	th, err := readHeader(br)
	if err != nil {
		return nil
	}
	return w.entity(message.Header{Header: th}, br, depth+1)
}

// leaf reads a part that is not a container: the first text/plain and text/html parts that are
// not attachments are the bodies, every other part is a file.
func (w *walker) leaf(h message.Header, mt string, r io.Reader) error {
	disp, _, _ := h.ContentDisposition()
	isFile := strings.EqualFold(disp, "attachment") || filename(h) != ""
	if !isFile && (mt == "text/plain" && w.plain == nil || mt == "text/html" && w.html == nil) {
		e, _ := message.New(h, r) // an unknown charset is read as it is
		if e == nil {
			return nil
		}
		body, err := io.ReadAll(e.Body)
		if err != nil && len(body) == 0 {
			return nil
		}
		text := validUTF8(string(body))
		if mt == "text/plain" {
			w.plain = &text
		} else {
			w.html = &text
		}
		return nil
	}
	data, err := decoded(h, r)
	if err != nil && len(data) == 0 {
		return nil
	}
	w.attach(h, mt, data, "")
	return nil
}

// decoded reads the body of a part undoing its transfer encoding only: files keep their bytes,
// text files their charset.
func decoded(h message.Header, r io.Reader) ([]byte, error) {
	var eh message.Header
	eh.Set("Content-Type", "application/octet-stream")
	if enc := h.Get("Content-Transfer-Encoding"); enc != "" {
		eh.Set("Content-Transfer-Encoding", enc)
	}
	e, err := message.New(eh, r)
	if err != nil { // unknown transfer encoding: the bytes as they are
		return io.ReadAll(r)
	}
	return io.ReadAll(e.Body)
}

// attach adds a file: its name is the sender's, else fallback, else one generated from its
// media type.
func (w *walker) attach(h message.Header, mt string, data []byte, fallback string) {
	name := cleanName(filename(h))
	if name == "" && (mt == "message/rfc822" || mt == "message/global") {
		name = cleanName(emlSubject(data))
		if name != "" {
			name += ".eml"
		}
	}
	if name == "" {
		name = fallback
	}
	if name == "" {
		name = generatedName(mt, len(w.m.Attachments)+1)
	}
	if (mt == "message/rfc822" || mt == "message/global") && !strings.HasSuffix(strings.ToLower(name), ".eml") {
		name += ".eml"
	}
	w.m.Attachments = append(w.m.Attachments, domain.MailFile{Name: name, MediaType: mt, Content: data})
}

// filename is the part's file name: Content-Disposition's filename (RFC 2231 or RFC 2047
// encoded), else Content-Type's name.
func filename(h message.Header) string {
	if _, params, err := h.ContentDisposition(); err == nil && params["filename"] != "" {
		return params["filename"]
	}
	if _, params, err := h.ContentType(); err == nil && params["name"] != "" {
		return params["name"]
	}
	return ""
}

// emlSubject is the subject of a forwarded message, "" when it has none.
func emlSubject(data []byte) string {
	th, err := readHeader(bufio.NewReader(bytes.NewReader(data)))
	if err != nil {
		return ""
	}
	h := gomail.Header{Header: message.Header{Header: th}}
	return headerText(h.Subject())
}

// finish sets the message's text and bodies and makes the file names distinct.
func (w *walker) finish() {
	switch {
	case w.plain != nil:
		w.m.Text = *w.plain
	case w.html != nil:
		w.m.Text = HTMLText(*w.html)
	}
	if w.plain != nil {
		w.m.Bodies = append(w.m.Bodies, domain.MailFile{Name: "body.txt", MediaType: "text/plain", Content: []byte(*w.plain)})
	}
	if w.html != nil {
		w.m.Bodies = append(w.m.Bodies, domain.MailFile{Name: "body.html", MediaType: "text/html", Content: []byte(*w.html)})
	}
	distinctNames(w.m.Bodies, w.m.Attachments)
	for _, a := range w.m.Attachments {
		if strings.EqualFold(a.Name, "Segnatura.xml") && w.m.Segnatura == nil {
			w.m.Segnatura = a.Content
		}
	}
}

// errBudget marks a message refused for the work it asks for (MaxDepth, MaxParts).
var errBudget = errors.New("message too complex")

// budgetError is the ECValidation of a message beyond MaxDepth or MaxParts.
func budgetError(format string, args ...any) error {
	e := domain.Errorf(domain.ECValidation, format, args...)
	e.Err = errBudget
	return e
}

// isBudget reports an error of budgetError.
func isBudget(err error) bool { return errors.Is(err, errBudget) }
