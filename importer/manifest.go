package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sportello/sportello/domain"
)

// Columns are the columns a manifest may have, in the order docs/import.md lists them. Only
// `file` and `subject` are required in the header; a missing column is empty in every row.
var Columns = []string{
	"file", "attachments", "direction", "subject", "sender_name", "sender_tax_code",
	"recipient_name", "class", "offices", "received_on", "sender_number", "sender_date",
	"register", "channel", "confidential", "emergency_number", "emergency_date", "outage",
	"attested_by", "attested_on",
}

// requiredColumns must be in the header.
var requiredColumns = []string{"file", "subject"}

// Defaults of the columns that have one.
const (
	DefaultDirection = "incoming"
	DefaultRegister  = "PG"
	DefaultChannel   = "paper"
)

// ErrPageImages is the reason `sportello import` refuses a row whose `file` names several page
// images: binding them into one searchable PDF is the server-side import's work (POST
// /v1/imports), so ReadManifest takes such rows and the tool refuses them (Row.PageImages).
var ErrPageImages = errors.New("page images need the server-side import (sportello import --server-side, or POST /v1/imports)")

// A Row is one line of the manifest: the metadata of its registration, the files it names, and
// what is wrong with it. A row with Problems is not sent.
type Row struct {
	Line        int      // line of manifest.csv where the row starts (the header is line 1)
	Pages       []string // `file`: the primary document, or the page images of a scan
	Attachments []string // `attachments`
	Metadata    Metadata // the registration's metadata, as POST /v1/registrations takes it
	// EmergencyNumber and EmergencyDate are the row's entry in the emergency register, when it
	// is one, as the manifest gives them (Metadata.Emergency has them parsed).
	EmergencyNumber string
	EmergencyDate   string
	Problems        []string // why the row cannot be sent; empty when it can
}

// Files lists every file the row names: the pages of its document first, then its attachments.
func (r Row) Files() []string { return append(slices.Clip(r.Pages), r.Attachments...) }

// PageImages reports whether the row's `file` names several page images, to be bound into one
// PDF.
func (r Row) PageImages() bool { return len(r.Pages) > 1 }

// Document is the path of the row's primary document ("" for a row without one).
func (r Row) Document() string {
	if len(r.Pages) == 0 {
		return ""
	}
	return r.Pages[0]
}

// OK reports whether the row can be sent.
func (r Row) OK() bool { return len(r.Problems) == 0 }

// Metadata is the `metadata` part of POST /v1/registrations, with the API's JSON field names
// (api.RegistrationMetadata): the fields a manifest can fill.
type Metadata struct {
	Register        string           `json:"register"`
	Direction       string           `json:"direction"`
	Channel         string           `json:"channel"`
	Subject         string           `json:"subject"`
	Correspondents  []Correspondent  `json:"correspondents"`
	SenderReference *SenderReference `json:"sender_reference,omitempty"`
	ReceivedOn      string           `json:"received_on,omitempty"`
	Class           string           `json:"class,omitempty"`
	Offices         []string         `json:"offices,omitempty"`
	Confidential    bool             `json:"confidential,omitempty"`
	// Emergency and ImageCopy are left out of the JSON when unset, so that the metadata of a row
	// without them, and so its key, is what it was before they existed.
	Emergency *Emergency `json:"emergency,omitempty"`
	ImageCopy *ImageCopy `json:"image_copy,omitempty"`
}

// Emergency is the row's entry in the emergency register (api.EmergencyMetadata): its number
// and date, and the outage when the manifest names it (without it the server takes the one
// outage of the register whose dates contain the date).
type Emergency struct {
	Outage string `json:"outage,omitempty"`
	Number int64  `json:"number"`
	Date   string `json:"date"`
}

// ImageCopy says the document is an image copy of a paper original, with who attested its
// conformity and when (api.ImageCopy).
type ImageCopy struct {
	AttestedBy string `json:"attested_by,omitempty"`
	AttestedOn string `json:"attested_on,omitempty"`
}

// Correspondent is a sender or recipient, with the API's JSON field names.
type Correspondent struct {
	Role    string `json:"role"`
	Type    string `json:"type"`
	Name    string `json:"name"`
	TaxCode string `json:"tax_code,omitempty"`
}

// SenderReference is the sender's protocol number and date.
type SenderReference struct {
	Number string `json:"number"`
	Date   string `json:"date,omitempty"`
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// ReadManifest parses a whole manifest into memory: UTF-8 (a byte-order mark is skipped),
// comma-separated, a header row of Columns. An unknown or repeated column, a missing required
// one, or a file that is not CSV is an error; a row's own faults are its Problems. Files are not
// looked at. Imports read their manifest with a ManifestReader, a row at a time; this is for
// small manifests and tests.
func ReadManifest(r io.Reader) ([]Row, error) {
	mr, err := NewManifestReader(r)
	if err != nil {
		return nil, err
	}
	var rows []Row
	for {
		_, row, err := mr.Next()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
}

// A ManifestReader reads a manifest one row at a time: memory does not grow with the number of
// rows, so a manifest of any length can be read (as ReadManifest describes), and read again.
type ManifestReader struct {
	cr     *csv.Reader
	header []string
	n      int // rows returned so far
}

// NewManifestReader reads the header of a manifest: an error is about the manifest as a whole
// (empty, not CSV, a bad header).
func NewManifestReader(r io.Reader) (*ManifestReader, error) {
	br := bufio.NewReader(r)
	if head, err := br.Peek(len(utf8BOM)); err == nil && bytes.Equal(head, utf8BOM) {
		br.Discard(len(utf8BOM))
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // a short or long row is a problem of that row
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s is empty: it needs a header row", ManifestName)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestName, err)
	}
	if err := checkHeader(header); err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestName, err)
	}
	// Only the record's slice is reused: its strings are new for every record, so a Row may
	// keep them.
	cr.ReuseRecord = true
	return &ManifestReader{cr: cr, header: header}, nil
}

// Next returns the next row and its index n among the rows (0-based, in manifest order, blank
// lines not counted: the index the server-side import stores), or io.EOF after the last.
func (m *ManifestReader) Next() (n int, row Row, err error) {
	for {
		rec, err := m.cr.Read()
		if errors.Is(err, io.EOF) {
			return 0, Row{}, io.EOF
		}
		if err != nil {
			return 0, Row{}, fmt.Errorf("%s: %w", ManifestName, err)
		}
		line, _ := m.cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		m.n++
		return m.n - 1, parseRow(line, m.header, rec), nil
	}
}

// Count reads the rows left without parsing them and returns how many there are, blank lines
// not counted: a cheap pass for a progress bar's total.
func (m *ManifestReader) Count() (int, error) {
	count := 0
	for {
		rec, err := m.cr.Read()
		if errors.Is(err, io.EOF) {
			return count, nil
		}
		if err != nil {
			return count, fmt.Errorf("%s: %w", ManifestName, err)
		}
		if len(rec) != 1 || strings.TrimSpace(rec[0]) != "" {
			count++
		}
	}
}

func checkHeader(header []string) error {
	for i, h := range header {
		header[i] = strings.TrimSpace(h)
		switch {
		case !slices.Contains(Columns, header[i]):
			return fmt.Errorf("unknown column %q (the columns are %s)", header[i], strings.Join(Columns, ", "))
		case slices.Contains(header[:i], header[i]):
			return fmt.Errorf("column %q is repeated", header[i])
		}
	}
	for _, c := range requiredColumns {
		if !slices.Contains(header, c) {
			return fmt.Errorf("the header has no column %q", c)
		}
	}
	return nil
}

// rowParser accumulates a row and its problems.
type rowParser struct {
	cells map[string]string
	row   *Row
}

func (p rowParser) problem(format string, args ...any) {
	p.row.Problems = append(p.row.Problems, fmt.Sprintf(format, args...))
}

// get returns a cell trimmed, or def when it is empty.
func (p rowParser) get(col, def string) string {
	if v := strings.TrimSpace(p.cells[col]); v != "" {
		return v
	}
	return def
}

// list splits a `|`-separated cell; empty elements are dropped.
func (p rowParser) list(col string) []string {
	var out []string
	for _, v := range strings.Split(p.cells[col], "|") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// date returns a date cell, noting a problem unless it is empty or YYYY-MM-DD.
func (p rowParser) date(col string) string {
	v := p.get(col, "")
	if v != "" && !domain.ValidDate(v) {
		p.problem("%s: %q is not a date (YYYY-MM-DD)", col, v)
	}
	return v
}

func parseRow(line int, header, rec []string) Row {
	row := Row{Line: line}
	p := rowParser{cells: map[string]string{}, row: &row}
	if len(rec) != len(header) {
		p.problem("has %d fields, the header %d", len(rec), len(header))
	}
	for i, v := range rec {
		if i < len(header) {
			p.cells[header[i]] = v
		}
	}
	for col, v := range p.cells {
		if !utf8.ValidString(v) {
			p.problem("%s: not valid UTF-8", col)
		}
	}
	row.Pages, row.Attachments = p.list("file"), p.list("attachments")
	if len(row.Pages) == 0 {
		p.problem("file: the primary document is required")
	}
	row.Metadata = p.metadata()
	row.EmergencyNumber, row.EmergencyDate = p.get("emergency_number", ""), p.get("emergency_date", "")
	row.Metadata.Emergency = p.emergency()
	row.Metadata.ImageCopy = p.imageCopy(row.Metadata.Channel)
	return row
}

// emergency is the row's entry in the emergency register, nil when it is none: number and date
// go together, and an outage needs them.
func (p rowParser) emergency() *Emergency {
	number, date, outage := p.get("emergency_number", ""), p.date("emergency_date"), p.get("outage", "")
	switch {
	case number == "" && date == "":
		if outage != "" {
			p.problem("outage: needs emergency_number and emergency_date")
		}
		return nil
	case number == "":
		p.problem("emergency_number: is required with emergency_date")
	case date == "":
		p.problem("emergency_date: is required with emergency_number")
	}
	n, err := strconv.ParseInt(number, 10, 64)
	if number != "" && (err != nil || n <= 0) {
		p.problem("emergency_number: %q is not a positive whole number", number)
	}
	return &Emergency{Outage: outage, Number: n, Date: date}
}

// imageCopyChannels are the channels of a paper original.
var imageCopyChannels = []string{"paper", "counter", "post"}

// imageCopy is the image copy a row with an attestation states, nil for a row without one.
func (p rowParser) imageCopy(channel string) *ImageCopy {
	by, on := p.get("attested_by", ""), p.date("attested_on")
	if by == "" && on == "" {
		return nil
	}
	switch {
	case by == "":
		p.problem("attested_by: is required with attested_on")
	case utf8.RuneCountInString(by) > domain.MaxAttestedBy:
		p.problem("attested_by: is longer than %d characters", domain.MaxAttestedBy)
	}
	if !slices.Contains(imageCopyChannels, channel) {
		p.problem("attested_by: an image copy is of a paper original: the channel must be paper, counter or post, not %s", channel)
	}
	return &ImageCopy{AttestedBy: by, AttestedOn: on}
}

// Directions and channels the API takes.
var (
	directions = []string{"incoming", "outgoing", "internal"}
	channels   = []string{"web", "pec", "email", "counter", "paper", "post", "api"}
)

func (p rowParser) metadata() Metadata {
	m := Metadata{
		Register:   p.get("register", DefaultRegister),
		Direction:  p.get("direction", DefaultDirection),
		Channel:    p.get("channel", DefaultChannel),
		Subject:    p.get("subject", ""),
		ReceivedOn: p.date("received_on"),
		Class:      p.get("class", ""),
		Offices:    p.list("offices"),
	}
	if !slices.Contains(directions, m.Direction) {
		p.problem("direction: %q is not one of %s", m.Direction, strings.Join(directions, ", "))
	}
	if !slices.Contains(channels, m.Channel) {
		p.problem("channel: %q is not one of %s", m.Channel, strings.Join(channels, ", "))
	}
	switch n := utf8.RuneCountInString(m.Subject); {
	case n == 0:
		p.problem("subject: is empty")
	case n > domain.MaxSubject:
		p.problem("subject: is longer than %d characters", domain.MaxSubject)
	}
	if m.Class != "" && !domain.ValidClass(m.Class) {
		p.problem("class: %q is not a classification code (VI, VI.3, VI.3.2)", m.Class)
	}
	switch v := p.get("confidential", "false"); v {
	case "true", "false":
		m.Confidential = v == "true"
	default:
		p.problem("confidential: %q is not true or false", v)
	}
	m.Correspondents = p.correspondents(m.Direction)
	number, date := p.get("sender_number", ""), p.date("sender_date")
	switch {
	case number != "":
		m.SenderReference = &SenderReference{Number: number, Date: date}
	case date != "":
		p.problem("sender_date: needs sender_number")
	}
	return m
}

func (p rowParser) correspondents(direction string) []Correspondent {
	var out []Correspondent
	name, tax := p.get("sender_name", ""), p.get("sender_tax_code", "")
	switch {
	case name != "":
		out = append(out, Correspondent{Role: domain.RoleSender, Type: p.partyType(tax), Name: name, TaxCode: tax})
	case tax != "":
		p.problem("sender_tax_code: needs sender_name")
	case direction == "incoming":
		p.problem("sender_name: an incoming document needs its sender")
	}
	if name := p.get("recipient_name", ""); name != "" {
		out = append(out, Correspondent{Role: domain.RoleRecipient, Type: domain.TypeOrganization, Name: name})
	} else if direction == "outgoing" {
		p.problem("recipient_name: an outgoing document needs its recipient")
	}
	return out
}

// partyType is a sender's type, told by its tax code: a codice fiscale of 16 characters is a
// person, a partita IVA of 11 digits an organization; a sender without one is an organization
// (the manifest has no column for the type; correspondents are immutable once registered, so a
// sender that is a person is given with its codice fiscale).
func (p rowParser) partyType(tax string) string {
	switch {
	case tax == "":
		return domain.TypeOrganization
	case len(tax) == 16:
		return domain.TypePerson
	case len(tax) == 11 && strings.Trim(tax, "0123456789") == "":
		return domain.TypeOrganization
	}
	p.problem("sender_tax_code: %q is not a codice fiscale (16 characters) or a partita IVA (11 digits)", tax)
	return domain.TypeOrganization
}
