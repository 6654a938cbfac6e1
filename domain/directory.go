package domain

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// The services in this file use the port DirectoryStore (ports.go).

// KindDirectoryImport is the audit and idempotency kind of a load of an IPA list.
const KindDirectoryImport = "directory_import"

// DirectoryList names one of the IPA open-data lists an admin loads: the administrations
// ("Enti"), their AOOs ("Aree Organizzative Omogenee") or their UOs ("Unità Organizzative").
type DirectoryList string

// The IPA lists.
const (
	DirectoryAdministrations DirectoryList = "administrations"
	DirectoryAOOs            DirectoryList = "aoos"
	DirectoryUOs             DirectoryList = "uos"
)

// DirectoryAdministration is an administration of the IPA directory, with the digital address
// it publishes (its PEC when it has one).
type DirectoryAdministration struct {
	IPACode        string
	Name           string
	TaxCode        string
	DigitalAddress string
}

// DirectoryAOO is an AOO (protocol office) of an administration of the IPA directory: the
// address documents for the administration are sent to.
type DirectoryAOO struct {
	IPACode        string
	AOOCode        string
	Name           string
	DigitalAddress string
}

// DirectoryUO is an office (unità organizzativa) of an administration of the IPA directory,
// with the AOO that keeps its protocol ("" when the list names none) and its own digital
// address.
type DirectoryUO struct {
	IPACode        string
	UOCode         string
	AOOCode        string
	Name           string
	DigitalAddress string
}

// DirectoryEntry is an administration found in the directory, with all its AOOs and the UOs
// the search found (see DirectoryFilter).
type DirectoryEntry struct {
	DirectoryAdministration
	AOOs []DirectoryAOO
	UOs  []DirectoryUO
}

// MaxDirectoryUOs bounds the UOs listed with one administration: a ministry has thousands.
const MaxDirectoryUOs = 100

// DirectoryImport records one load of an IPA list: which list, how many entries it holds now,
// when and by whom.
type DirectoryImport struct {
	ID         string
	List       DirectoryList
	Entries    int
	ImportedAt time.Time
	ImportedBy string
}

// DirectoryFilter selects administrations: every word of Words begins a word of the name of the
// administration, of one of its AOOs or of one of its UOs, or Code is its IPA code or one of
// its AOO or UO codes (any case). Without words or code it selects every administration. The
// UOs listed with an administration are those Code names and those whose name has a word that
// one of Words begins, when every other word begins a word of the UO's or the
// administration's name (at most MaxDirectoryUOs, in name order); without words or code, none.
type DirectoryFilter struct {
	Words  []string
	Code   string
	Cursor string
	Limit  int
}

// MaxDirectoryQuery and MaxDirectoryWords bound a directory search.
const (
	MaxDirectoryQuery = 200
	MaxDirectoryWords = 10
)

// ImportDirectory replaces the IPA list with what content holds (the open-data file as
// published: see ParseIPAList), all or nothing. Admin only. Returns forbidden,
// validation_failed naming the line and column of each bad value.
func (s *Service) ImportDirectory(ctx context.Context, p Principal, list DirectoryList, content []byte, idem Idempotency) (DirectoryImport, bool, error) {
	if err := p.require("loading the IPA directory", RoleAdmin); err != nil {
		return DirectoryImport{}, false, err
	}
	var (
		admins []DirectoryAdministration
		aoos   []DirectoryAOO
		uos    []DirectoryUO
		err    error
	)
	if list == DirectoryUOs {
		uos, err = ParseIPAUOs(content)
	} else {
		admins, aoos, err = ParseIPAList(content, list)
	}
	if err != nil {
		return DirectoryImport{}, false, err
	}
	return idempotent(ctx, s, p, idem, KindDirectoryImport, s.Store.DirectoryImport, func() (DirectoryImport, error) {
		now := s.now()
		imp := DirectoryImport{ID: NewID(), List: list, Entries: len(admins) + len(aoos) + len(uos), ImportedAt: now.UTC(), ImportedBy: p.ID}
		w := Write{
			Audit:       []AuditEvent{audit(p, now, "directory.imported", KindDirectoryImport, imp.ID)},
			Idempotency: idem.record(p, KindDirectoryImport, imp.ID, now),
		}
		replace := func() error { return s.Store.ReplaceDirectory(ctx, imp, admins, aoos, w) }
		if list == DirectoryUOs {
			replace = func() error { return s.Store.ReplaceDirectoryUOs(ctx, imp, uos, w) }
		}
		if err := replace(); err != nil {
			return DirectoryImport{}, fmt.Errorf("load the IPA %s: %w", list, err)
		}
		return imp, nil
	})
}

// Directory finds administrations of the IPA directory by the words of query or by a code, in
// name order, one page at a time. Staff only: a portal's applicants pick no recipients.
// Returns forbidden, validation_failed.
func (s *Service) Directory(ctx context.Context, p Principal, query, cursor string, limit int) (Page[DirectoryEntry], error) {
	if p.Has(RolePortal) {
		return Page[DirectoryEntry]{}, Errorf(ECForbidden, "the directory is for the administration's staff")
	}
	var v Validation
	if len([]rune(query)) > MaxDirectoryQuery {
		v.Add("q", "must be at most %d characters", MaxDirectoryQuery)
	}
	words := strings.Fields(FoldName(query))
	if len(words) > MaxDirectoryWords {
		v.Add("q", "must have at most %d words", MaxDirectoryWords)
	}
	if limit < 0 || limit > MaxLimit {
		v.Add("limit", "must be between 1 and %d", MaxLimit)
	}
	if err := v.Err(); err != nil {
		return Page[DirectoryEntry]{}, err
	}
	if limit == 0 {
		limit = DefaultLimit
	}
	f := DirectoryFilter{Words: words, Cursor: cursor, Limit: limit}
	if code := strings.TrimSpace(query); ValidDirectoryCode(code) {
		f.Code = strings.ToLower(code)
	}
	return s.Store.Directory(ctx, f)
}

// FoldName is how directory names are compared: lower case, accents dropped, every run of
// characters other than letters and digits one space ("Città di Castello" and "citta  di
// CASTELLO" fold alike), so that a search matches names as people type them.
func FoldName(s string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteRune(unicode.ToLower(r))
			space = false
		default:
			space = true
		}
	}
	return b.String()
}
