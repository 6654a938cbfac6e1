package conservation_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sportello/sportello/conservation"
	"github.com/sportello/sportello/domain"
)

// bigParcel is a 64 MiB package of random bytes (stored, not compressed) with a seal.
func bigParcel(b *testing.B) domain.Parcel {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "file.bin", Method: zip.Store})
	io.CopyN(w, rand.Reader, 64<<20)
	s, _ := zw.Create(conservation.SealName)
	s.Write([]byte("seal"))
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	sum := sha256.Sum256(data)
	b.SetBytes(int64(len(data)))
	return domain.Parcel{ID: domain.NewID(), SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)),
		Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
}

// BenchmarkFolderDeliver measures a delivery to a folder: copy with SHA-256, fsync, seal
// extraction, renames and the directory's fsync.
func BenchmarkFolderDeliver(b *testing.B) {
	p := bigParcel(b)
	dest, err := conservation.New(conservation.Config{URL: "file://" + b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := dest.Deliver(b.Context(), p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEndpointDeliver measures a PUT to an HTTP endpoint on loopback that reads the body.
func BenchmarkEndpointDeliver(b *testing.B) {
	p := bigParcel(b)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
	}))
	b.Cleanup(srv.Close)
	allow, _ := domain.ParseWebhookAllowList("127.0.0.1")
	dest, err := conservation.New(conservation.Config{URL: srv.URL + "/v/", Allow: allow, Client: srv.Client()})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := dest.Deliver(b.Context(), p); err != nil {
			b.Fatal(err)
		}
	}
}
