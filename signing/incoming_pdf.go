package signing

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/digitorus/pkcs7"

	"github.com/sportello/sportello/domain"
)

// checkPDF reports the signatures inside a received PDF (PAdES and the older
// adbe.pkcs7.detached), in the file's order. It reads them as precheck does, from the
// ByteRange and Contents of each signature dictionary, without the PDF parser: that parser
// loops forever on some malformed files, and a received PDF may be anything. Each CMS is
// verified over the bytes its ByteRange covers; trust is decided as for CAdES. Unlike
// VerifyPDF, which holds Sportello's own seals to its rules, this describes a sender's
// signatures without refusing any.
func (a Anchors) checkPDF(data []byte) []domain.Signature {
	var out []domain.Signature
	for _, m := range byteRangePattern.FindAllSubmatchIndex(data, -1) {
		out = append(out, a.checkPDFSignature(data, m))
	}
	return out
}

// checkPDFSignature checks the signature whose ByteRange byteRangePattern matched at m.
func (a Anchors) checkPDFSignature(data []byte, m []int) domain.Signature {
	s := domain.Signature{Format: domain.SignaturePAdES, Trusted: a.unknown()}
	var br [4]int
	for i := range br {
		v, err := strconv.Atoi(string(data[m[2*i+2]:m[2*i+3]]))
		if err != nil {
			s.Reason = "malformed ByteRange"
			return s
		}
		br[i] = v
	}
	start, gapStart, gapEnd, tail := br[0], br[1], br[2], br[3]
	if start != 0 || gapStart <= 0 || gapEnd <= gapStart+1 || tail < 0 || gapEnd > len(data) || tail > len(data)-gapEnd {
		s.Reason = fmt.Sprintf("malformed ByteRange %v", br)
		return s
	}
	gap := data[gapStart:gapEnd]
	digits := string(gap[1 : len(gap)-1])
	if len(digits)%2 == 1 { // a final odd digit is followed by an implied 0 (ISO 32000-1 §7.3.4.3)
		digits += "0"
	}
	raw, err := hex.DecodeString(digits) // with the zero padding after the CMS, which its parser ignores
	if gap[0] != '<' || gap[len(gap)-1] != '>' || err != nil {
		s.Reason = "the signature's Contents is not the hex string its ByteRange leaves out"
		return s
	}
	p7, err := parseCMS(raw)
	if err != nil || len(p7.Signers) != 1 {
		s.Reason = "the signature is not a single-signer CMS"
		return s
	}
	si := p7.Signers[0]
	cert := certificateOf(p7.Certificates, si.IssuerAndSerialNumber.SerialNumber, si.IssuerAndSerialNumber.IssuerName.FullBytes)
	if cert == nil {
		s.Reason = "the signature does not carry the signer's certificate"
		return s
	}
	s.Signer = commonName(cert)
	if t, ok := signedTime(p7, 0); ok {
		s.SigningTime = &t
	} else if t, ok := claimedTime(data, m[0], gapStart, gapEnd); ok {
		s.SigningTime = &t
	}
	p7.Content = append(bytes.Clone(data[:gapStart]), data[gapEnd:gapEnd+tail]...)
	if err := p7.Verify(); err != nil {
		s.Reason = "the signature does not hold: " + err.Error()
		return s
	}
	s.Valid = true
	a.trust(&s, cert, p7.Certificates)
	if added := len(data) - gapEnd - tail; added > 0 && s.Reason == "" {
		s.Reason = fmt.Sprintf("valid for the part of the file it covers: %d bytes were added after it", added)
	}
	return s
}

// parseCMS parses a signature's CMS; a parser of hostile input answers, it does not crash.
func parseCMS(raw []byte) (p7 *pkcs7.PKCS7, err error) {
	defer func() {
		if r := recover(); r != nil {
			p7, err = nil, fmt.Errorf("malformed CMS: %v", r)
		}
	}()
	return pkcs7.Parse(raw)
}

// pdfDatePattern is a PDF date (ISO 32000-1 §7.9.4) as the /M of a signature dictionary.
var pdfDatePattern = regexp.MustCompile(`/M\s*\(D:(\d{14})(Z|[+-]\d{2}'?\d{2}'?)?[^)]*\)`)

// claimedTime reads the /M of the signature dictionary around a ByteRange (at pos) whose
// Contents is gapStart..gapEnd: the nearest /M within a few kilobytes on either side.
func claimedTime(data []byte, pos, gapStart, gapEnd int) (time.Time, bool) {
	const reach = 4096
	before := data[max(0, min(pos, gapStart)-reach):min(pos, gapStart)]
	after := data[max(pos, gapEnd):min(len(data), max(pos, gapEnd)+reach)]
	var m [][]byte
	if all := pdfDatePattern.FindAllSubmatch(before, -1); len(all) > 0 {
		m = all[len(all)-1]
	} else if m = pdfDatePattern.FindSubmatch(after); m == nil {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102150405", string(m[1]))
	if err != nil {
		return time.Time{}, false
	}
	if z := bytes.ReplaceAll(m[2], []byte("'"), nil); len(z) == 5 {
		h, _ := strconv.Atoi(string(z[1:3]))
		mi, _ := strconv.Atoi(string(z[3:5]))
		off := time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute
		if z[0] == '+' {
			off = -off
		}
		t = t.Add(off)
	}
	return t.UTC(), true
}
