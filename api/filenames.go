package api

import (
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
// name, as the content itself does not tell them apart at a glance.
func mediaType(mt *mimetype.MIME, filename string) string {
	if mt.Is("application/pkcs7-signature") && strings.HasSuffix(strings.ToLower(filename), ".p7m") {
		return "application/pkcs7-mime"
	}
	return mt.String()
}
