package blob_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/storage/blob"
	"github.com/sportello/sportello/storage/blob/blobtest"
	"github.com/sportello/sportello/storage/blob/s3test"
)

// gw is the S3 server of this package's tests, started once by TestMain.
var gw *s3test.Server

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sportello-s3-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	gw, err = s3test.Start(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "versitygw:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	gw.SetEnv()
	code := m.Run()
	gw.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestSuiteFS(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) domain.BlobStore {
		s, err := blob.NewFS(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestSuiteS3(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) domain.BlobStore { return openS3(t, gw.URL(gw.NewBucket(t, false))) })
}

// TestSuiteS3Prefix: a store under a key prefix, as when one bucket serves several installations.
func TestSuiteS3Prefix(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) domain.BlobStore {
		b := gw.NewBucket(t, false)
		return openS3(t, gw.URL(b+"/sportello/blobs"))
	})
}

func openS3(t *testing.T, raw string) *blob.S3 {
	t.Helper()
	c, err := blob.ParseS3URL(raw)
	if err != nil {
		t.Fatal(err)
	}
	c.TempDir = t.TempDir()
	s, err := blob.NewS3(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
