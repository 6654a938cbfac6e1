package archive

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"sort"
	"time"
)

// SincroNamespace is the namespace of a UNI SInCRO v2 index (UNI 11386:2020), the target
// namespace of Unisincro_PIndex.xsd; its attributes are qualified too.
const SincroNamespace = "http://www.uni.com/U3011/sincro-v2/"

// sincroSchemaURI is the fixed value of the index's uri attribute.
const sincroSchemaURI = "http://www.uni.com/U3011/sincro-v2/PIndex.xsd"

// HashFunction is how the index names the digest of every file: SHA-256, written in standard
// base64 as the Allegato 5 metadata write their Impronta.
const HashFunction = "SHA-256"

// IndexFile is one file of a package as the index lists it.
type IndexFile struct {
	// Path is the file's name inside the zip, "/"-separated, from the package's root.
	Path string
	// SHA256 is the digest of the file's bytes.
	SHA256 []byte
	// Format is the file's media type.
	Format string
}

// IndexGroup is a FileGroup: the files of one registration, of the journals, of the log.
type IndexGroup struct {
	ID, Label, Description string
	Files                  []IndexFile
}

// Index is what PIndex.xml states: who made the package, when its content stood (the time
// reference), and every file with its digest.
type Index struct {
	// ID identifies the package's content (SelfDescription/ID and PVolume/ID, scheme "sha256":
	// ContentID).
	ID string
	// Label names the volume: "Pacchetto di archiviazione" or "Pacchetto di distribuzione".
	Label, Description string
	// ApplicationVersion is the Sportello version that built the package.
	ApplicationVersion string
	// Producer is the administration and AOO that produced the documents: Submitter and the
	// Holder "soggetto produttore".
	Producer string
	// ProducerDocument is the document that qualifies the producer (RelevantDocument).
	ProducerDocument string
	// Signer is the sealing certificate's subject, the AuthorizedSigner.
	Signer string
	// TimeReference is the UTC time the content is stated at (docs/package-format.md).
	TimeReference time.Time
	// Laws names the rules the package follows (LawsAndRegulations).
	Laws   string
	Groups []IndexGroup
}

// sincroWriter writes the index element by element with the "sincro" prefix.
type sincroWriter struct {
	b      bytes.Buffer
	indent int
}

func (w *sincroWriter) pad() {
	for range w.indent {
		w.b.WriteString("  ")
	}
}

func (w *sincroWriter) attrs(kv []string) {
	for i := 0; i+1 < len(kv); i += 2 {
		w.b.WriteString(" sincro:" + kv[i] + `="`)
		_ = xml.EscapeText(&w.b, []byte(kv[i+1]))
		w.b.WriteString(`"`)
	}
}

func (w *sincroWriter) open(name string, kv ...string) {
	w.pad()
	w.b.WriteString("<sincro:" + name)
	w.attrs(kv)
	w.b.WriteString(">\n")
	w.indent++
}

func (w *sincroWriter) close(name string) {
	w.indent--
	w.pad()
	w.b.WriteString("</sincro:" + name + ">\n")
}

func (w *sincroWriter) leaf(name, text string, kv ...string) {
	w.pad()
	w.b.WriteString("<sincro:" + name)
	w.attrs(kv)
	w.b.WriteString(">")
	_ = xml.EscapeText(&w.b, []byte(text))
	w.b.WriteString("</sincro:" + name + ">\n")
}

func (w *sincroWriter) agent(name, formalName, document string, kv ...string) {
	w.open(name, append([]string{"agentType", "legal person"}, kv...)...)
	w.open("AgentName")
	w.leaf("FormalName", formalName)
	w.close("AgentName")
	w.leaf("RelevantDocument", document)
	w.close(name)
}

// IndexXML writes ix as a UNI SInCRO v2 PIndex valid against Unisincro_PIndex.xsd, in UTF-8,
// indented by two spaces: the groups sorted by ID and each group's files by path, so that the
// same index gives the same bytes. Every file's Hash is its SHA-256 in standard base64.
func IndexXML(ix Index) ([]byte, error) {
	if ix.ID == "" || ix.Producer == "" || ix.Signer == "" || ix.TimeReference.IsZero() {
		return nil, fmt.Errorf("index of package %q: the ID, producer, signer and time reference are required", ix.ID)
	}
	groups := append([]IndexGroup(nil), ix.Groups...)
	sort.Slice(groups, func(i, j int) bool { return groups[i].ID < groups[j].ID })
	w := &sincroWriter{}
	w.b.WriteString(xml.Header)
	w.b.WriteString(`<sincro:PIndex xmlns:sincro="` + SincroNamespace + `" sincro:language="it" sincro:uri="` +
		sincroSchemaURI + `" sincro:sincroVersion="2.0">` + "\n")
	w.indent++
	w.open("SelfDescription")
	w.leaf("ID", ix.ID, "scheme", "sha256")
	w.open("CreatingApplication")
	w.leaf("Name", "Sportello")
	w.leaf("Version", ix.ApplicationVersion)
	w.leaf("Producer", "Sportello")
	w.close("CreatingApplication")
	w.close("SelfDescription")
	w.open("PVolume")
	w.leaf("ID", ix.ID, "scheme", "sha256")
	w.leaf("Label", ix.Label)
	if ix.Description != "" {
		w.leaf("Description", ix.Description)
	}
	w.close("PVolume")
	if len(groups) == 0 {
		return nil, fmt.Errorf("index of package %s: no files", ix.ID)
	}
	for _, g := range groups {
		if len(g.Files) == 0 {
			return nil, fmt.Errorf("index of package %s: group %s has no files", ix.ID, g.ID)
		}
		files := append([]IndexFile(nil), g.Files...)
		sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
		w.open("FileGroup")
		w.leaf("ID", g.ID, "scheme", "sportello")
		if g.Label != "" {
			w.leaf("Label", g.Label)
		}
		if g.Description != "" {
			w.leaf("Description", g.Description)
		}
		for _, f := range files {
			w.open("File", "encoding", "binary", "format", f.Format)
			w.leaf("ID", f.Path, "scheme", "path")
			w.leaf("Path", f.Path)
			w.leaf("Hash", base64.StdEncoding.EncodeToString(f.SHA256), "hashFunction", HashFunction)
			w.close("File")
		}
		w.close("FileGroup")
	}
	w.open("Process")
	w.agent("Submitter", ix.Producer, ix.ProducerDocument)
	w.agent("Holder", ix.Producer, ix.ProducerDocument, "holderRole", "soggetto produttore")
	w.agent("AuthorizedSigner", ix.Signer, SealName, "signerRole", "sigillo elettronico qualificato o avanzato dell'amministrazione")
	w.open("TimeReference")
	w.leaf("TimeInfo", ix.TimeReference.UTC().Format("2006-01-02T15:04:05Z"), "attachedTimeStamp", "true")
	w.close("TimeReference")
	if ix.Laws != "" {
		w.leaf("LawsAndRegulations", ix.Laws)
	}
	w.close("Process")
	w.indent--
	w.b.WriteString("</sincro:PIndex>\n")
	return w.b.Bytes(), nil
}
