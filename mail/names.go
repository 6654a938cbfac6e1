package mail

import (
	"fmt"
	"path"
	"strings"
	"unicode"

	"github.com/sportello/sportello/domain"
)

// maxNameBytes bounds a file name, as most file systems do.
const maxNameBytes = 200

// cleanName is a sender's file name made safe to store and show: its last path element (either
// separator), without control characters, trimmed, at most maxNameBytes; "" when nothing is
// left.
func cleanName(name string) string {
	name = validUTF8(name)
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if strings.Trim(name, ".") == "" {
		return ""
	}
	if len(name) > maxNameBytes {
		ext := path.Ext(name)
		if len(ext) > 16 {
			ext = ""
		}
		name = strings.ToValidUTF8(name[:maxNameBytes-len(ext)], "") + ext
	}
	return name
}

// extensions are the extensions of generated names, by media type; others get ".bin".
var extensions = map[string]string{
	"text/plain": ".txt", "text/html": ".html", "text/xml": ".xml", "application/xml": ".xml",
	"text/csv": ".csv", "text/calendar": ".ics", "application/pdf": ".pdf",
	"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/tiff": ".tif",
	"application/zip": ".zip", "application/msword": ".doc", "application/rtf": ".rtf",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":       ".xlsx",
	"application/vnd.oasis.opendocument.text":                                 ".odt",
	"application/pkcs7-mime":                                                  ".p7m", "application/x-pkcs7-mime": ".p7m",
	"application/pkcs7-signature": ".p7s", "application/x-pkcs7-signature": ".p7s",
	"message/rfc822": ".eml", "message/global": ".eml",
}

// generatedName names the n-th file of a message that came without a name: an S/MIME signature
// is smime.p7s as clients name it, any other part "allegato-N" with its media type's extension.
func generatedName(mediaType string, n int) string {
	switch mediaType {
	case "application/pkcs7-signature", "application/x-pkcs7-signature":
		return "smime.p7s"
	case "message/rfc822", "message/global":
		return fmt.Sprintf("messaggio-%d.eml", n)
	}
	ext, ok := extensions[mediaType]
	if !ok {
		ext = ".bin"
	}
	return fmt.Sprintf("allegato-%d%s", n, ext)
}

// distinctNames renames the files whose name (any case) an earlier file has, "a.pdf" becoming
// "a (2).pdf", so that every file of a message keeps a name of its own. Bodies keep theirs.
func distinctNames(bodies, files []domain.MailFile) {
	taken := map[string]bool{}
	for _, b := range bodies {
		taken[strings.ToLower(b.Name)] = true
	}
	for i := range files {
		name := files[i].Name
		ext := path.Ext(name)
		stem := strings.TrimSuffix(name, ext)
		for n := 2; taken[strings.ToLower(name)]; n++ {
			name = fmt.Sprintf("%s (%d)%s", stem, n, ext)
		}
		taken[strings.ToLower(name)] = true
		files[i].Name = name
	}
}
