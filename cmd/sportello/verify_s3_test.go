package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
	"github.com/sportello/sportello/storage/blob/s3test"
)

// TestVerifyDataFixityS3: `sportello verify --data` checks the blobs of an installation whose
// SPORTELLO_BLOBS is an S3 bucket, with the credentials of the AWS environment variables, and
// names an object replaced in the bucket behind Sportello's back.
func TestVerifyDataFixityS3(t *testing.T) {
	gw := s3test.Run(t)
	testdb.Each(t, func(t *testing.T, url string) {
		bucket := gw.NewBucket(t, false)
		blobs := gw.URL(bucket)
		s := apptest.Start(t, url, apptest.WithConfig(func(c *app.Config) { c.FixityEvery = 0; c.Blobs = blobs }))
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		path, _ := registered(t, s, op, "prima su S3")
		var reg struct {
			Document struct {
				SHA256 string `json:"sha256"`
			} `json:"document"`
		}
		if err := json.Unmarshal(fetch(t, s, op, path, "application/json"), &reg); err != nil {
			t.Fatal(err)
		}
		verify := func() (string, error) {
			env := func(k string) string {
				return map[string]string{"SPORTELLO_DATA": s.DataDir, "SPORTELLO_DATABASE_URL": url, "SPORTELLO_BLOBS": blobs}[k]
			}
			var out bytes.Buffer
			err := run(context.Background(), []string{"verify", "--data", "--lag", "1h"}, env, &out)
			return out.String(), err
		}
		if out, err := verify(); err != nil || !strings.Contains(out, "ok   every stored blob matches its digest") {
			t.Fatalf("untouched bucket: %v\n%s", err, out)
		}
		digest := reg.Document.SHA256
		key := s3test.Key(digest)
		if _, err := gw.Client().PutObject(context.Background(), &s3.PutObjectInput{Bucket: &bucket, Key: &key,
			Body: strings.NewReader("not the registered document")}); err != nil {
			t.Fatal(err)
		}
		out, err := verify()
		want := "FAIL blob " + digest + " mismatch: registration " + strings.TrimPrefix(path, "/v1/registrations/") + " document"
		if !errors.Is(err, errVerifyFailed) || !strings.Contains(out, want) {
			t.Fatalf("replaced object: %v, want %q in\n%s", err, want, out)
		}
	})
}
