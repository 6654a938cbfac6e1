package signing

import (
	"context"
	"encoding/base64"
	"testing"
	"time"

	"github.com/sportello/sportello/signing/p7m/p7mtest"
)

// FuzzCheckSignatures feeds received files to the signature check, as a .p7m, as a PDF and as
// XML (XAdES).
// Properties: it answers (no panic, no hang); a file named .p7m always gets a report; without
// anchors nothing is trusted, and with them only what is valid is; a valid signature names its
// signer; a signature that is not valid or not trusted says why.
func FuzzCheckSignatures(f *testing.F) {
	ca := p7mtest.NewCA(f, "Fuzz CA")
	signed := ca.Sign(f, "Mario Rossi", []byte("%PDF-1.4 contenuto\n"))
	f.Add(signed)
	f.Add(ca.Sign(f, "Anna Bianchi", signed))
	f.Add([]byte(base64.StdEncoding.EncodeToString(signed)))
	f.Add(signed[:len(signed)/2])
	id, _ := fixtures(f)
	pdf, err := SignPDF(context.Background(), testPDF(f), id, signOptions())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pdf)
	sealed, err := SealSegnatura(f.Context(), sampleSegnatura(), id, time.Now())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sealed)
	f.Add(sealed[:len(sealed)*3/4])
	f.Add([]byte(`<?xml-stylesheet href="x.xsl"?><a Id="x"><ds:Signature xmlns:ds="` + dsNamespace + `"><ds:SignedInfo>` +
		`<ds:Reference URI="#x"><ds:Transforms><ds:Transform Algorithm="` + envelopedAlgorithm + `"/></ds:Transforms></ds:Reference>` +
		`</ds:SignedInfo><ds:SignatureValue/></ds:Signature></a>`))
	anchored := Anchors{Pool: pool(ca.Cert, id.Certificate)}
	f.Fuzz(func(t *testing.T, data []byte) {
		defer watchdog("CheckSignatures")()
		for _, a := range []Anchors{{}, anchored} {
			p7m := a.CheckSignatures(data, "application/pkcs7-mime", "file.pdf.p7m")
			if len(p7m) == 0 {
				t.Fatal("a .p7m got no report")
			}
			all := append(p7m, a.CheckSignatures(data, "application/pdf", "file.pdf")...)
			for _, s := range append(all, a.CheckSignatures(data, "application/xml", "file.xml")...) {
				switch {
				case a.Pool == nil && s.Trusted != nil:
					t.Fatalf("%+v: trusted %v without anchors", s, *s.Trusted)
				case s.Trusted != nil && *s.Trusted && !s.Valid:
					t.Fatalf("%+v: trusted but not valid", s)
				case s.Valid && s.Signer == "":
					t.Fatalf("%+v: valid without a signer", s)
				case (!s.Valid || s.Trusted != nil && !*s.Trusted) && s.Reason == "":
					t.Fatalf("%+v: no reason", s)
				}
			}
		}
	})
}
