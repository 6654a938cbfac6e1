package api

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"
)

// maxFilenameBytes caps a file's name: what common file systems accept, so that a name can be
// saved as it is wherever the file is downloaded.
const maxFilenameBytes = 255

// baseName returns the file name a client sent without its directories, whether the client
// wrote them with slashes or, like Windows browsers of old, with backslashes (C:\Users\x\a.pdf).
func baseName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		return name[i+1:]
	}
	return name
}

// filenameProblem says what is wrong with a file name, or "" when nothing is. Control
// characters would forge lines in logs and headers; bidirectional overrides and marks make a
// name read otherwise than it is (`invoice‮fdp.exe` shows as `invoiceexe.pdf`).
func filenameProblem(name string) string {
	switch {
	case !utf8.ValidString(name):
		return "the filename is not valid UTF-8"
	case len(name) > maxFilenameBytes:
		return "the filename is longer than 255 bytes"
	}
	for _, r := range name {
		switch {
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			return "the filename holds a control character"
		case r == 0x200e || r == 0x200f || r == 0x061c || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
			return "the filename holds a bidirectional text control (U+200E, U+200F, U+061C, U+202A-U+202E, U+2066-U+2069)"
		}
	}
	return ""
}

// executables are the sniffed media types of programs, with every type they are detected as
// a kind of (an ELF shared library is an ELF file): a register of documents keeps no programs,
// which a recipient might run.
var executables = []string{
	"application/x-elf",                             // Linux and most Unix
	"application/vnd.microsoft.portable-executable", // Windows PE, and DOS MZ
	"application/x-mach-binary",                     // macOS, universal (fat) binaries included
}

// isExecutable reports whether mt, as sniffed, is a program.
func isExecutable(mt *mimetype.MIME) bool {
	for m := mt; m != nil; m = m.Parent() {
		for _, e := range executables {
			if m.Is(e) {
				return true
			}
		}
	}
	return false
}

// mediaType is the media type a file is stored with: the sniffed one, except that enveloped
// signed content (CAdES, `.p7m`) is told apart from a detached signature (`.p7s`) by its
// name, as the content itself does not tell them apart at a glance; and that a `.p7m` is
// enveloped signed content even when what shows in its first bytes is the file it carries (a
// small PDF's header comes before the signers' certificates, and a sniffer finds it there) or
// when it was saved in base64 or PEM.
func mediaType(mt *mimetype.MIME, head []byte, filename string) string {
	if strings.HasSuffix(strings.ToLower(filename), ".p7m") &&
		(mt.Is("application/pkcs7-signature") || looksEnveloped(head)) {
		return "application/pkcs7-mime"
	}
	return mt.String()
}

// signedDataOID is the DER of id-signedData (1.2.840.113549.1.7.2), which a CMS ContentInfo
// states within its first bytes.
var signedDataOID = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02}

// looksEnveloped reports whether head starts a CMS SignedData: in DER or BER (a SEQUENCE whose
// first element is id-signedData), in base64 ("MI", the encoding of a long SEQUENCE's tag and
// length) or in PEM.
func looksEnveloped(head []byte) bool {
	if len(head) > 0 && head[0] == 0x30 {
		return bytes.Contains(head[:min(len(head), 24)], signedDataOID)
	}
	head = bytes.TrimSpace(head)
	return bytes.HasPrefix(head, []byte("MI")) || bytes.HasPrefix(head, []byte("-----BEGIN PKCS7-----")) ||
		bytes.HasPrefix(head, []byte("-----BEGIN CMS-----"))
}
