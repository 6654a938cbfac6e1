package domain

import (
	"context"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// The services in this file use the ports InstallationStore, ClassStore and DossierStore (ports.go).

// Segnatura is what the segnatura informatica of a registration states (AgID guidelines on
// documents, Allegato 6, version 3.0.0): who registered it and under which number, what it is
// about, where it is classified and filed, who sent it to whom, and the digest of every file.
// A receiving AOO checks the files it got against these digests; SegnaturaSealer turns it
// into the sealed XML.
type Segnatura struct {
	// IPACode, AOOCode and AOOName are the registering AOO's (CodiceAmministrazione, CodiceAOO).
	IPACode, AOOCode, AOOName string
	Register                  string
	// Number is the protocol number with its seven digits (NumeroRegistrazione).
	Number string
	// RegisteredAt is the instant of registration in the AOO's time zone: its date is the
	// protocol date.
	RegisteredAt time.Time
	Subject      string
	// ClassCode and ClassTitle are the registration's class in the titolario (Classifica).
	ClassCode, ClassTitle string
	// Dossier is the first dossier the registration is filed in, or nil (Fascicolo).
	Dossier      *SegnaturaDossier
	Confidential bool
	// Reference is the protocol message received that this registration answers (Riferimenti),
	// nil when it answers none.
	Reference   *SegnaturaReference
	Sender      SegnaturaParty
	Recipients  []SegnaturaParty
	Document    SegnaturaFile
	Attachments []SegnaturaFile
}

// SegnaturaReference names a protocol message received, as the segnatura of a registration
// answering it does (RiferimentiType): its identifier (the sending AOO's, art. 55), the
// identifier it was first registered with when it was sent on more than once
// (PrimaRegistrazione, nil when the same), its subject and its class (mandatory: the class
// it was registered in).
type SegnaturaReference struct {
	ID                    ProtocolID
	First                 *ProtocolID
	Subject               string
	ClassCode, ClassTitle string
	// Dossier is the dossier it is filed in, nil when none is named.
	Dossier *SegnaturaDossier
}

// SegnaturaDossier names a dossier by its identifier and subject.
type SegnaturaDossier struct {
	Identifier, Subject string
}

// SegnaturaParty is a sender or a recipient as the segnatura distinguishes them: an Italian
// administration known by its IPA codes, a legal person, or a natural person.
type SegnaturaParty struct {
	Kind string // PartyAdministration, PartyOrganization or PartyPerson
	// Name is the administration's or the organisation's name; for a person, GivenName and
	// Surname split it.
	Name, GivenName, Surname string
	// TaxCode is the codice fiscale or partita IVA, "" when not known.
	TaxCode string
	// IPACode, AOOCode and UOCode locate an administration in the IPA; IPACode is always set
	// for PartyAdministration.
	IPACode, AOOCode, UOCode string
	// DigitalAddress is the PEC or e-mail address, "" when not known.
	DigitalAddress string
}

// Kinds of SegnaturaParty.
const (
	PartyAdministration = "administration"
	PartyOrganization   = "organization"
	PartyPerson         = "person"
)

// SegnaturaFile is a file of the protocol message and its SHA-256 digest (Impronta).
type SegnaturaFile struct {
	Filename, MediaType, Description string
	SHA256                           []byte
}

// SegnaturaSealer serialises a segnatura as XML sealed with the AOO's sealing identity
// (XAdES baseline B).
type SegnaturaSealer func(ctx context.Context, s Segnatura) ([]byte, error)

// Segnatura returns the sealed segnatura informatica of the registration at ref, to the
// principals who may see the registration (VisibilityOf). The segnatura must carry a class, so
// an unclassified registration has none until it is classified. Returns not_found (also when
// not visible), conflict (not classified), unavailable (no sealer configured).
func (s *Service) Segnatura(ctx context.Context, p Principal, ref Ref) ([]byte, error) {
	if s.SealSegnatura == nil {
		return nil, Errorf(ECUnavailable, "this installation cannot seal a segnatura")
	}
	r, err := s.Registration(ctx, p, ref)
	if err != nil {
		return nil, err
	}
	if r.Class == "" {
		return nil, &Error{Code: ECConflict, Message: fmt.Sprintf("registration %s is not classified: a segnatura names the class; classify it first", ref),
			Fields: []FieldError{{Field: "class", Message: "is required for a segnatura"}}}
	}
	aoo, err := s.Store.AOO(ctx)
	if err != nil {
		return nil, fmt.Errorf("segnatura %s: %w", ref, err)
	}
	seg, err := s.segnatura(ctx, p, aoo, r)
	if err != nil {
		return nil, fmt.Errorf("segnatura %s: %w", ref, err)
	}
	return s.SealSegnatura(ctx, seg)
}

// segnatura gathers what the segnatura of r states. The dossier's subject is named only to
// who may see the dossier; others get its identifier alone.
func (s *Service) segnatura(ctx context.Context, p Principal, aoo AOO, r *Registration) (Segnatura, error) {
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	seg := Segnatura{
		IPACode: aoo.IPACode, AOOCode: aoo.Code, AOOName: aoo.Name, Register: r.Register,
		Number: FormatNumber(r.Number), RegisteredAt: r.RegisteredAt.In(loc), Subject: r.Subject,
		ClassCode: r.Class, Confidential: r.Confidential,
	}
	class, err := s.Store.Class(ctx, r.Class)
	if err != nil {
		return Segnatura{}, err
	}
	seg.ClassTitle = class.Title
	if len(r.Dossiers) > 0 {
		d, err := s.Store.Dossier(ctx, r.Dossiers[0])
		if err != nil {
			return Segnatura{}, err
		}
		seg.Dossier = &SegnaturaDossier{Identifier: d.Identifier, Subject: d.Identifier}
		if DossierVisibilityOf(p).AllowsDossier(d) {
			seg.Dossier.Subject = d.Subject
		}
	}
	if r.InReplyTo != "" {
		if seg.Reference, err = s.segnaturaReference(ctx, p, aoo, r, seg); err != nil {
			return Segnatura{}, err
		}
	}
	seg.Sender, seg.Recipients = segnaturaParties(aoo, r)
	if seg.Document, err = segnaturaFile(r.Document); err != nil {
		return Segnatura{}, err
	}
	for _, a := range r.Attachments {
		f, err := segnaturaFile(a)
		if err != nil {
			return Segnatura{}, err
		}
		seg.Attachments = append(seg.Attachments, f)
	}
	return seg, nil
}

// segnaturaReference names the message r answers (Riferimenti): by the identifier its
// sender's segnatura gave it when one came with it, else by this AOO's registration of it;
// its subject; its class, or r's own (seg's) when it is not classified. Who may not see the
// registration answered gets no Riferimenti. The first registration of a message sent on
// again (PrimaRegistrazione) is not recorded, so it is never named.
func (s *Service) segnaturaReference(ctx context.Context, p Principal, aoo AOO, r *Registration, seg Segnatura) (*SegnaturaReference, error) {
	ref, ok := refOfIdentifier(aoo, r.InReplyTo)
	if !ok {
		return nil, fmt.Errorf("in_reply_to %q is not an identifier of this AOO", r.InReplyTo)
	}
	answered, err := s.Registration(ctx, p, ref)
	if IsCode(err, ECNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := &SegnaturaReference{Subject: answered.Subject, ClassCode: seg.ClassCode, ClassTitle: seg.ClassTitle,
		ID: ProtocolID{IPACode: aoo.IPACode, AOOCode: aoo.Code, Register: answered.Register,
			Number: FormatNumber(answered.Number), Date: answered.Date}}
	if in := answered.Interoperability; in != nil {
		if id, ok := segnaturaID(in.Sender); ok {
			out.ID = id
		}
	}
	if answered.Class != "" {
		class, err := s.Store.Class(ctx, answered.Class)
		if err != nil {
			return nil, err
		}
		out.ClassCode, out.ClassTitle = answered.Class, class.Title
	}
	return out, nil
}

// segnaturaID is a received protocol identifier in the form the 3.0.0 schema accepts (a
// register code of its pattern, a number of at least seven digits, a date), false when it
// cannot be: a 2001 or 2013 segnatura was looser.
func segnaturaID(id ProtocolID) (ProtocolID, bool) {
	if len(id.Number) < NumberDigits && id.Number != "" && strings.Trim(id.Number, "0123456789") == "" {
		id.Number = strings.Repeat("0", NumberDigits-len(id.Number)) + id.Number
	}
	ok := id.IPACode != "" && id.AOOCode != "" && segnaturaRegister.MatchString(id.Register) &&
		segnaturaNumber.MatchString(id.Number) && ValidDate(id.Date)
	return id, ok
}

// The 3.0.0 schema's patterns of a register code and a protocol number (IdentificatoreType).
var (
	segnaturaRegister = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,16}$`)
	segnaturaNumber   = regexp.MustCompile(`^[0-9]{7,}$`)
)

// refOfIdentifier reads a registration's identifier of this AOO (see Identifier) back into a
// Ref.
func refOfIdentifier(aoo AOO, id string) (Ref, bool) {
	rest, ok := strings.CutPrefix(id, aoo.IPACode+"-"+aoo.Code+"-")
	if !ok {
		return Ref{}, false
	}
	i := strings.LastIndexByte(rest, '-')
	if i < 0 {
		return Ref{}, false
	}
	j := strings.LastIndexByte(rest[:i], '-')
	if j < 0 {
		return Ref{}, false
	}
	return ParseRef(rest[:j] + "/" + rest[j+1:i] + "/" + rest[i+1:])
}

// segnaturaParties names one sender and at least one recipient, as the segnatura requires.
// What the AOO sends, it sends itself; what it receives, it receives itself. An incoming
// registration with several senders names the first.
func segnaturaParties(aoo AOO, r *Registration) (SegnaturaParty, []SegnaturaParty) {
	self := SegnaturaParty{Kind: PartyAdministration, Name: aoo.Name, IPACode: aoo.IPACode, AOOCode: aoo.Code}
	sender, found := self, false
	var recipients []SegnaturaParty
	for _, c := range r.Correspondents {
		switch {
		case c.Role == RoleRecipient:
			recipients = append(recipients, partyOf(c))
		case c.Role == RoleSender && !found && r.Direction != Outgoing:
			sender, found = partyOf(c), true
		}
	}
	if len(recipients) == 0 {
		recipients = []SegnaturaParty{self}
	}
	return sender, recipients
}

// partyOf maps a correspondent. An administration without an IPA code cannot be named as one
// (the segnatura requires the code), so it is named as the legal person it is.
func partyOf(c Correspondent) SegnaturaParty {
	ipa := ipaCodesOf(c)
	p := SegnaturaParty{Kind: PartyOrganization, Name: c.Name, TaxCode: c.TaxCode, DigitalAddress: c.Email,
		IPACode: ipa.IPACode, AOOCode: ipa.AOOCode, UOCode: ipa.UOCode}
	if ipa.DigitalAddress != "" {
		p.DigitalAddress = ipa.DigitalAddress
	}
	switch {
	case c.Type == TypeAdministration && ipa.IPACode != "":
		p.Kind = PartyAdministration
	case c.Type == TypePerson:
		p.Kind = PartyPerson
		p.GivenName, p.Surname = splitName(c.Name)
	}
	return p
}

// correspondentIPA is where an administration is found in the IPA, and its digital address.
type correspondentIPA struct {
	IPACode, AOOCode, UOCode, DigitalAddress string
}

// ipaCodesOf is the one place that reads a correspondent's IPA codes and digital address: an
// administration with its IPA code is named by its codes, one without as a legal person.
func ipaCodesOf(c Correspondent) correspondentIPA {
	return correspondentIPA{IPACode: c.IPACode, AOOCode: c.AOOCode, UOCode: c.UOCode, DigitalAddress: c.DigitalAddress}
}

// surnameParticles begin Italian surnames of more than one word (De Luca, Della Rovere).
var surnameParticles = map[string]bool{
	"da": true, "dal": true, "dalla": true, "de": true, "dei": true, "del": true, "della": true,
	"di": true, "la": true, "lo": true, "li": true, "d'": true,
}

// splitName splits "Nome Cognome" as correspondents write it: the last word is the surname,
// with the particles before it. A name of one word is all surname.
func splitName(name string) (given, surname string) {
	words := strings.Fields(name)
	i := len(words) - 1
	for i > 1 && surnameParticles[strings.ToLower(words[i-1])] {
		i--
	}
	if i < 0 {
		return "", ""
	}
	return strings.Join(words[:i], " "), strings.Join(words[i:], " ")
}

// segnaturaFile carries f's stored hex digest as the raw bytes the segnatura encodes.
func segnaturaFile(f File) (SegnaturaFile, error) {
	sum, err := hex.DecodeString(f.SHA256)
	if err != nil {
		return SegnaturaFile{}, fmt.Errorf("digest of %q: %w", f.Filename, err)
	}
	return SegnaturaFile{Filename: f.Filename, MediaType: f.MediaType, Description: f.Description, SHA256: sum}, nil
}
