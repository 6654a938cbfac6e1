package mail

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"mime"
	netmail "net/mail"
	"strings"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"

	"github.com/sportello/sportello/domain"
)

var _ domain.MailComposer = Compose

// maxIDBytes bounds a Message-ID, written on one line (RFC 5322 2.1.1 allows 998 octets).
const maxIDBytes = 900

// Compose writes m as an RFC 5322 MIME message with CRLF line endings: a multipart/mixed of the
// text (text/plain, UTF-8, quoted-printable) and one base64 part per file, its name RFC 2231
// encoded. The headers are Message-ID, Date, From, To, Subject (RFC 2047 encoded when not
// ASCII), In-Reply-To and References when m answers a message, and MIME-Version. The boundary
// is derived from the Message-ID, so the same m gives the same bytes: a message sent again
// after a crash is the same message. Message-ID, Date, From and To are required, and no header
// value may hold a line break (ECValidation).
func Compose(m domain.OutgoingMail) ([]byte, error) {
	if err := checkOutgoing(m); err != nil {
		return nil, err
	}
	h := outgoingHeader(m)
	parts := make([]message.Header, 0, len(m.Files))
	for i, f := range m.Files {
		ph, err := fileHeader(f, i+1)
		if err != nil {
			return nil, err
		}
		parts = append(parts, ph)
	}
	var buf bytes.Buffer
	w, err := message.CreateWriter(&buf, h)
	if err != nil {
		return nil, domain.Errorf(domain.ECValidation, "composing the message: %v", err)
	}
	var th message.Header
	th.Set("Content-Transfer-Encoding", "quoted-printable")
	th.Set("Content-Type", mime.FormatMediaType("text/plain", map[string]string{"charset": "utf-8"}))
	if err := writePart(w, th, []byte(m.Text)); err != nil {
		return nil, err
	}
	for i, f := range m.Files {
		if err := writePart(w, parts[i], f.Content); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// checkOutgoing refuses a message without the headers every message needs or with a line
// break in a header value (which would let a value write headers of its own).
func checkOutgoing(m domain.OutgoingMail) error {
	switch {
	case m.MessageID == "":
		return domain.Errorf(domain.ECValidation, "the message has no Message-ID")
	case m.Date.IsZero():
		return domain.Errorf(domain.ECValidation, "the message has no Date")
	case m.From.Address == "":
		return domain.Errorf(domain.ECValidation, "the message has no sender (From)")
	case len(m.To) == 0:
		return domain.Errorf(domain.ECValidation, "the message has no recipient (To)")
	}
	for _, id := range []string{m.MessageID, m.InReplyTo} {
		if strings.ContainsAny(id, "<>\"\\ \t\r\n") || len(id) > maxIDBytes {
			return domain.Errorf(domain.ECValidation, "%q is not a Message-ID without angle brackets", id)
		}
	}
	values := []string{m.Subject, m.From.Name}
	for _, a := range append([]domain.MailAddress{m.From}, m.To...) {
		if _, err := netmail.ParseAddress("<" + a.Address + ">"); err != nil || strings.ContainsAny(a.Address, "\r\n") {
			return domain.Errorf(domain.ECValidation, "%q is not an e-mail address", a.Address)
		}
		values = append(values, a.Name)
	}
	for _, f := range m.Files {
		values = append(values, f.Name, f.MediaType)
	}
	for _, v := range values {
		if strings.ContainsAny(v, "\r\n") {
			return domain.Errorf(domain.ECValidation, "a header value holds a line break: %q", v)
		}
	}
	return nil
}

// outgoingHeader is the message's header, its fields in the order they are written.
func outgoingHeader(m domain.OutgoingMail) message.Header {
	var h gomail.Header
	// The header writer writes the fields last added first: add them in reverse.
	h.Set("Content-Type", mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": boundary(m.MessageID)}))
	h.AddRaw([]byte("MIME-Version: 1.0\r\n")) // as RFC 2045 spells it (Set would write Mime-Version)
	if m.InReplyTo != "" {
		h.SetMsgIDList("References", []string{m.InReplyTo})
		h.SetMsgIDList("In-Reply-To", []string{m.InReplyTo})
	}
	h.SetSubject(m.Subject)
	h.SetAddressList("To", addressList(m.To))
	h.SetAddressList("From", addressList([]domain.MailAddress{m.From}))
	h.SetDate(m.Date)
	h.AddRaw([]byte("Message-ID: <" + m.MessageID + ">\r\n"))
	return h.Header
}

// addressList converts addresses to go-message's, which encodes non-ASCII names (RFC 2047).
func addressList(list []domain.MailAddress) []*gomail.Address {
	out := make([]*gomail.Address, 0, len(list))
	for _, a := range list {
		out = append(out, &gomail.Address{Name: a.Name, Address: a.Address})
	}
	return out
}

// boundary is the multipart boundary of the message with Message-ID id: a digest of it, so
// that the same message gets the same bytes. "=_" cannot occur in a quoted-printable or base64
// body, so the boundary cannot be met in a part.
func boundary(id string) string {
	sum := sha256.Sum256([]byte("sportello mail boundary\x00" + id))
	return "=_sportello_" + hex.EncodeToString(sum[:16])
}

// fileHeader is the header of the n-th file's part: its media type (application/octet-stream
// when not given, unreadable or multipart: a file is one part) and name, in Content-Type and Content-Disposition, base64. The
// name is cleaned as Parse cleans a sender's (cleanName: at most maxNameBytes, so that its RFC
// 2231 form fits a header line), generated when nothing is left.
func fileHeader(f domain.MailFile, n int) (message.Header, error) {
	mt := "application/octet-stream"
	if f.MediaType != "" {
		if t, _, err := mime.ParseMediaType(f.MediaType); err == nil && !strings.HasPrefix(t, "multipart/") {
			mt = t
		}
	}
	name := cleanName(f.Name)
	if name == "" {
		name = generatedName(mt, n)
	}
	ct := mime.FormatMediaType(mt, map[string]string{"name": name})
	cd := mime.FormatMediaType("attachment", map[string]string{"filename": name})
	if ct == "" || cd == "" {
		return message.Header{}, domain.Errorf(domain.ECValidation, "the file name %q cannot be written in a header", f.Name)
	}
	var h message.Header
	h.Set("Content-Transfer-Encoding", "base64")
	h.Set("Content-Disposition", cd)
	h.Set("Content-Type", ct)
	return h, nil
}

// writePart writes one part of the multipart w.
func writePart(w *message.Writer, h message.Header, body []byte) error {
	pw, err := w.CreatePart(h)
	if err != nil {
		return domain.Errorf(domain.ECValidation, "composing the message: %v", err)
	}
	if _, err := io.Copy(pw, bytes.NewReader(body)); err != nil {
		return err
	}
	return pw.Close()
}
