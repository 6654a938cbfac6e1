// Package blobtest is the one suite every domain.BlobStore passes: the file store and the S3
// store answer the same calls with the same results.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/sportello/sportello/domain"
)

// Run runs the suite; open returns a new, empty store for each subtest.
func Run(t *testing.T, open func(t *testing.T) domain.BlobStore) {
	t.Run("PutOpenByteExact", func(t *testing.T) { putOpen(t, open(t)) })
	t.Run("PutTwiceStoresOnce", func(t *testing.T) { putTwice(t, open(t)) })
	t.Run("ErrNotFound", func(t *testing.T) { notFound(t, open(t)) })
	t.Run("ConcurrentPuts", func(t *testing.T) { concurrentPuts(t, open(t)) })
	t.Run("LargeContent", func(t *testing.T) { large(t, open(t)) })
	t.Run("Ranges", func(t *testing.T) { ranges(t, open(t)) })
	t.Run("ReadSeeker", func(t *testing.T) { readSeeker(t, open(t)) })
	t.Run("CancelledPutStoresNothing", func(t *testing.T) { cancelledPut(t, open(t)) })
	t.Run("CancelledOpen", func(t *testing.T) { cancelledOpen(t, open(t)) })
	t.Run("Delete", func(t *testing.T) { deleteContent(t, open(t)) })
}

// Content returns n pseudo-random bytes, the same for the same seed.
func Content(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// Digest is the hex SHA-256 of b.
func Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Put stores b and checks the digest and size Put answers.
func Put(t testing.TB, s domain.BlobStore, b []byte) string {
	t.Helper()
	digest, size, err := s.Put(context.Background(), bytes.NewReader(b))
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if digest != Digest(b) || size != int64(len(b)) {
		t.Fatalf("Put = %s, %d; want %s, %d", digest, size, Digest(b), len(b))
	}
	return digest
}

// ReadAll opens digest and returns all its bytes.
func ReadAll(t testing.TB, s domain.BlobStore, digest string) []byte {
	t.Helper()
	rc, err := s.Open(context.Background(), digest)
	if err != nil {
		t.Fatalf("Open %s: %v", digest, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", digest, err)
	}
	return b
}

func putOpen(t *testing.T, s domain.BlobStore) {
	ctx := context.Background()
	for _, b := range [][]byte{{}, []byte("x"), []byte("registro di protocollo\n"), Content(1, 70_000)} {
		d := Put(t, s, b)
		if got := ReadAll(t, s, d); !bytes.Equal(got, b) {
			t.Fatalf("Open %s: %d bytes differ from the %d put", d, len(got), len(b))
		}
		if ok, err := s.Exists(ctx, d); err != nil || !ok {
			t.Fatalf("Exists %s = %v, %v", d, ok, err)
		}
	}
}

func putTwice(t *testing.T, s domain.BlobStore) {
	b := Content(2, 5000)
	d1, d2 := Put(t, s, b), Put(t, s, b)
	if d1 != d2 || !bytes.Equal(ReadAll(t, s, d1), b) {
		t.Fatal("the same content put twice reads differently")
	}
}

func notFound(t *testing.T, s domain.BlobStore) {
	ctx := context.Background()
	missing := Digest([]byte("never stored"))
	for _, d := range []string{missing, "not-a-digest", "../../etc/passwd"} {
		if _, err := s.Open(ctx, d); !domain.IsCode(err, domain.ECNotFound) {
			t.Errorf("Open %q = %v; want not_found", d, err)
		}
		if _, err := domain.OpenBlobRange(ctx, s, d, 1, 2); !domain.IsCode(err, domain.ECNotFound) {
			t.Errorf("OpenBlobRange %q = %v; want not_found", d, err)
		}
		if ok, err := s.Exists(ctx, d); ok || err != nil {
			t.Errorf("Exists %q = %v, %v; want false, nil", d, ok, err)
		}
	}
	if err := s.Delete(ctx, missing); err != nil {
		t.Errorf("Delete of missing content = %v; want nil", err)
	}
}

func concurrentPuts(t *testing.T, s domain.BlobStore) {
	const n = 8
	contents := make([][]byte, n)
	for i := range contents {
		contents[i] = Content(uint64(10+i%4), 3000+i%4) // each content put twice, concurrently
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for _, b := range contents {
		wg.Go(func() {
			d, _, err := s.Put(context.Background(), bytes.NewReader(b))
			if err == nil && d != Digest(b) {
				err = fmt.Errorf("digest %s, want %s", d, Digest(b))
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Put: %v", err)
		}
	}
	for _, b := range contents {
		if !bytes.Equal(ReadAll(t, s, Digest(b)), b) {
			t.Fatal("content put concurrently reads differently")
		}
	}
}

// large is above the one MiB the stores keep in memory: it goes through a temporary file.
func large(t *testing.T, s domain.BlobStore) {
	b := Content(3, 3<<20+17)
	d := Put(t, s, b)
	if !bytes.Equal(ReadAll(t, s, d), b) {
		t.Fatal("large content reads differently")
	}
}

func ranges(t *testing.T, s domain.BlobStore) {
	b := Content(4, 100_000)
	d := Put(t, s, b)
	cases := []struct {
		off, n int64
		want   []byte
	}{
		{0, 10, b[:10]},
		{99_990, -1, b[99_990:]},
		{50_000, 1, b[50_000:50_001]},
		{99_995, 100, b[99_995:]},
		{0, -1, b},
		{200_000, -1, nil},
		{7, 0, nil},
	}
	for _, c := range cases {
		rc, err := domain.OpenBlobRange(context.Background(), s, d, c.off, c.n)
		if err != nil {
			t.Fatalf("range %d+%d: %v", c.off, c.n, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, c.want) {
			t.Fatalf("range %d+%d: %d bytes, %v; want %d bytes", c.off, c.n, len(got), err, len(c.want))
		}
	}
	if _, ok := s.(domain.BlobRanger); !ok {
		t.Fatalf("%T reads ranges by skipping: want OpenRange", s)
	}
}

func readSeeker(t *testing.T, s domain.BlobStore) {
	b := Content(5, 20_000)
	d := Put(t, s, b)
	rs := domain.NewBlobReadSeeker(context.Background(), s, d, int64(len(b)))
	defer rs.Close()
	if end, err := rs.Seek(0, io.SeekEnd); err != nil || end != int64(len(b)) {
		t.Fatalf("Seek end = %d, %v", end, err)
	}
	if _, err := rs.Seek(12_345, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 100)
	if _, err := io.ReadFull(rs, got); err != nil || !bytes.Equal(got, b[12_345:12_445]) {
		t.Fatalf("read after seek: %v", err)
	}
	if _, err := rs.Seek(-10, io.SeekEnd); err != nil {
		t.Fatal(err)
	}
	if rest, err := io.ReadAll(rs); err != nil || !bytes.Equal(rest, b[len(b)-10:]) {
		t.Fatalf("read of the last 10 bytes: %d, %v", len(rest), err)
	}
}

// cancellingReader cancels its context after the first n bytes.
type cancellingReader struct {
	r      io.Reader
	n      int
	cancel context.CancelFunc
}

func (c *cancellingReader) Read(p []byte) (int, error) {
	if c.n <= 0 {
		c.cancel()
	}
	k, err := c.r.Read(p[:min(len(p), max(c.n, 1))])
	c.n -= k
	return k, err
}

func cancelledPut(t *testing.T, s domain.BlobStore) {
	for _, size := range []int{10_000, 2 << 20} {
		b := Content(6, size)
		ctx, cancel := context.WithCancel(context.Background())
		_, _, err := s.Put(ctx, &cancellingReader{r: bytes.NewReader(b), n: size / 2, cancel: cancel})
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Put of %d bytes cancelled half way = %v; want context.Canceled", size, err)
		}
		if ok, _ := s.Exists(context.Background(), Digest(b)); ok {
			t.Fatalf("a cancelled Put of %d bytes stored the content", size)
		}
	}
}

func cancelledOpen(t *testing.T, s domain.BlobStore) {
	d := Put(t, s, Content(7, 1000))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rc, err := s.Open(ctx, d)
	if err == nil {
		defer rc.Close()
		_, err = io.ReadAll(rc)
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Open with a cancelled context = %v; want context.Canceled", err)
	}
}

func deleteContent(t *testing.T, s domain.BlobStore) {
	ctx := context.Background()
	keep, gone := Content(8, 100), Content(9, 100)
	dk, dg := Put(t, s, keep), Put(t, s, gone)
	if err := s.Delete(ctx, dg); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if ok, _ := s.Exists(ctx, dg); ok {
		t.Fatal("content still there after Delete")
	}
	if _, err := s.Open(ctx, dg); !domain.IsCode(err, domain.ECNotFound) {
		t.Fatalf("Open after Delete = %v; want not_found", err)
	}
	if !bytes.Equal(ReadAll(t, s, dk), keep) {
		t.Fatal("Delete touched other content")
	}
	Put(t, s, gone) // content deleted can be stored again
	if !bytes.Equal(ReadAll(t, s, dg), gone) {
		t.Fatal("content stored again after Delete reads differently")
	}
}
