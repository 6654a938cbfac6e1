package app_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/storage/blob/s3test"
)

// TestS3BlobStore is must-show 1 of issue 18, on both engines: a server whose blobs are in an
// S3 bucket (versitygw on loopback) answers a registration's document and attachment byte-exact
// from the bucket and keeps nothing in a local blob directory; an object replaced behind its
// back (a PutObject of other bytes under the same key, which the S3 server accepts with a
// checksum of its own) and an object removed are found by the fixity run, by digest and by the
// registration that references them.
func TestS3BlobStore(t *testing.T) {
	gw := s3test.Run(t)
	buckets := map[string]string{} // data directory → bucket
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		ctx := context.Background()
		bucket := buckets[s.DataDir]
		op := s.NewClient(t, "reader", []string{"protocol_operator"})
		document := apptest.PDF("contenuto su S3")
		attachment := bytes.Repeat([]byte("allegato su S3, più di un MiB\n"), 50_000)
		ct, body := apptest.Multipart(apptest.Incoming("registrazione su S3"),
			apptest.Part{Name: "document", Filename: "a.pdf", Content: document},
			apptest.Part{Name: "attachment", Filename: "b.txt", Content: attachment})
		var reg struct {
			Register        string `json:"register"`
			Year            int    `json:"year"`
			NumberFormatted string `json:"number_formatted"`
			Document        struct {
				SHA256 string `json:"sha256"`
			} `json:"document"`
			Attachments []struct {
				SHA256 string `json:"sha256"`
			} `json:"attachments"`
		}
		s.Do(t, "POST", "/v1/registrations", op, ct, body, http.StatusCreated, &reg)
		ref := domain.Ref{Register: reg.Register, Year: reg.Year, Number: mustNumber(t, reg.NumberFormatted)}
		path := "/v1/registrations/" + ref.String()
		if got := s.Do(t, "GET", path+"/document", op, "", nil, http.StatusOK, nil); !bytes.Equal(got, document) {
			t.Fatalf("document read back: %d bytes differ from the %d registered", len(got), len(document))
		}
		if got := s.Do(t, "GET", path+"/attachments/0", op, "", nil, http.StatusOK, nil); !bytes.Equal(got, attachment) {
			t.Fatalf("attachment read back: %d bytes differ from the %d registered", len(got), len(attachment))
		}
		docKey, attKey := s3test.Key(reg.Document.SHA256), s3test.Key(reg.Attachments[0].SHA256)
		for _, key := range []string{docKey, attKey} {
			if _, err := os.Stat(gw.ObjectPath(bucket, key)); err != nil {
				t.Fatalf("object %s not in the bucket: %v", key, err)
			}
		}
		if _, err := os.Stat(filepath.Join(s.DataDir, "blobs")); err == nil {
			t.Fatal("a local blob directory was made although the blobs are in S3")
		}

		clean, err := s.Main.RunFixity(ctx, domain.FixityOptions{StartedBy: domain.FixityByVerify})
		if err != nil || clean.Failures != 0 || clean.Blobs < 2 {
			t.Fatalf("untouched bucket: run %+v, %v; want no failures", clean, err)
		}
		forged := bytes.Clone(document)
		forged[len(forged)/2] ^= 0x01
		if _, err := gw.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &docKey, Body: bytes.NewReader(forged)}); err != nil {
			t.Fatal(err)
		}
		if _, err := gw.Client().DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: &attKey}); err != nil {
			t.Fatal(err)
		}
		run, err := s.Main.RunFixity(ctx, domain.FixityOptions{StartedBy: domain.FixityByVerify})
		if err != nil || run.Failures != 2 {
			t.Fatalf("damaged bucket: run %+v, %v; want 2 failures", run, err)
		}
		rep, err := s.Main.Service.FixityReport(ctx, domain.FixityFailureFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]domain.FixityProblem{}
		for _, f := range rep.Failures {
			got[f.SHA256] = f.Problem
		}
		if len(got) != 2 || got[reg.Document.SHA256] != domain.FixityMismatch || got[reg.Attachments[0].SHA256] != domain.FixityMissing {
			t.Fatalf("fixity failures %v; want the document altered and the attachment missing", got)
		}
	}, apptest.WithConfig(func(c *app.Config) {
		c.FixityEvery = 0
		b := gw.NewBucket(t, false)
		buckets[c.Data] = b
		c.Blobs = gw.URL(b)
	}))
}
