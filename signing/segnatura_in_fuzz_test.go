package signing

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sportello/sportello/domain"
)

// maxFuzzSegnatura bounds a fuzzed segnatura: the seeds take under 8 KiB, and longer inputs
// take no other path.
const maxFuzzSegnatura = 16 << 10

// FuzzReadSegnatura reads segnature of any shape against the files of the seeds (our sealed
// 3.0.0, the 2013 and 2001 fixtures). Properties: it answers, without panic or hang; what it
// refuses is validation_failed; what it reads has a known form, Allegato 6 codes each with a
// detail, the primary document first and alone, a 004 only for a file not received, and reads
// the same twice.
func FuzzReadSegnatura(f *testing.F) {
	id, _ := fixtures(f)
	sealed, files := sealedWithFiles(f, id)
	f.Add(sealed)
	for _, name := range []string{"segnatura-2013.xml", "segnatura-2001.xml"} {
		data, err := os.ReadFile("testdata/segnatura/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	files = append(files, fixtureFiles(f, "lettera.pdf", "planimetria.pdf", "nota.txt", "relazione.txt")...)
	codes := []string{domain.AnomalySeal, domain.AnomalyDigest, domain.AnomalyUnreadable, domain.AnomalyMissingFile,
		domain.AnomalyInvalidSchema, domain.AnomalySealMissing, domain.AnomalyOther}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzSegnatura {
			t.Skip()
		}
		defer watchdog("ReadSegnatura")()
		got, err := ReadSegnatura(data, files)
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != domain.ECValidation {
				t.Fatalf("refused with %v, not validation_failed", err)
			}
			return
		}
		if !slices.Contains([]string{"3.0.0", "2013", "2001"}, got.Version) {
			t.Fatalf("version %q", got.Version)
		}
		for _, a := range got.Anomalies {
			if !slices.Contains(codes, a.Code) || a.Detail == "" {
				t.Fatalf("anomaly %+v", a)
			}
			if a.Code == domain.AnomalyMissingFile && slices.ContainsFunc(files, func(f domain.MailFile) bool {
				return strings.Contains(a.Detail, `"`+f.Name+`"`)
			}) {
				t.Fatalf("%+v names a file received", a)
			}
		}
		for i, file := range got.Files {
			if file.Primary && i > 0 {
				t.Fatalf("primary file %q at %d", file.Name, i)
			}
		}
		again, err := ReadSegnatura(data, files)
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("read twice: %+v, then %+v, %v", got, again, err)
		}
	})
}

// FuzzReadProtocolMessage reads messages between AOOs of any shape. Properties: it answers,
// without panic or hang; what it refuses is validation_failed; what it reads and can be
// written again reads back to what writes the same bytes.
func FuzzReadProtocolMessage(f *testing.F) {
	for _, m := range []domain.ProtocolMessage{
		{Kind: domain.ProtocolConferma, Identifier: &ours, Received: &theirs},
		{Kind: domain.ProtocolEccezione, Description: "messaggio senza segnatura", Reason: "005"},
		{Kind: domain.ProtocolAnnullamento, Identifier: &ours, Reason: "errore", Provision: "atto"},
	} {
		xml, err := WriteProtocolMessage(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(xml)
	}
	f.Add([]byte(`<ConfermaRicezione xmlns="http://www.digitPa.gov.it/protocollo/"><Identificatore><CodiceAmministrazione>a</CodiceAmministrazione>` +
		`<CodiceAOO>b</CodiceAOO><CodiceRegistro>c</CodiceRegistro><NumeroRegistrazione>1</NumeroRegistrazione><DataRegistrazione>2019-05-15</DataRegistrazione>` +
		`</Identificatore><MessaggioRicevuto><DescrizioneMessaggio>x</DescrizioneMessaggio></MessaggioRicevuto></ConfermaRicezione>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzSegnatura {
			t.Skip()
		}
		defer watchdog("ReadProtocolMessage")()
		m, err := ReadProtocolMessage(data)
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != domain.ECValidation {
				t.Fatalf("refused with %v, not validation_failed", err)
			}
			return
		}
		written, err := WriteProtocolMessage(m)
		if err != nil {
			return // read as written by another system, not writable as ours
		}
		back, err := ReadProtocolMessage(written)
		if err != nil {
			t.Fatalf("%v reading back\n%s", err, written)
		}
		again, err := WriteProtocolMessage(back)
		if err != nil || !bytes.Equal(again, written) {
			t.Fatalf("written again differently (%v):\n%s\n%s", err, written, again)
		}
	})
}
