package blob_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"strconv"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/storage/blob"
	"github.com/sportello/sportello/storage/blob/blobtest"
)

// BenchmarkBlobs puts new content of each size into each store, and reads 64 KiB ranges of
// stored content back: the files on the local disk against the S3 store over loopback HTTP to
// versitygw (whose objects are files on the same disk), so the difference is the S3 protocol's
// cost. docs/benchmarks.md has the figures.
func BenchmarkBlobs(b *testing.B) {
	stores := map[string]func(b *testing.B) domain.BlobStore{
		"fs": func(b *testing.B) domain.BlobStore {
			s, err := blob.NewFS(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
		"s3": func(b *testing.B) domain.BlobStore {
			c, _ := blob.ParseS3URL(gw.URL(gw.NewBucket(b, false)))
			c.TempDir = b.TempDir()
			s, err := blob.NewS3(context.Background(), c)
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
	}
	for _, name := range []string{"fs", "s3"} {
		for _, size := range []int{64 << 10, 4 << 20} {
			b.Run(name+"/Put/"+sizeName(size), func(b *testing.B) {
				s := stores[name](b)
				content := blobtest.Content(uint64(size), size)
				b.SetBytes(int64(size))
				i := uint64(0)
				for b.Loop() {
					i++
					binary.LittleEndian.PutUint64(content, i) // new content each time
					if _, _, err := s.Put(context.Background(), bytes.NewReader(content)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run(name+"/Range64KiB", func(b *testing.B) {
			s := stores[name](b)
			content := blobtest.Content(9, 8<<20)
			d := blobtest.Put(b, s, content)
			b.SetBytes(64 << 10)
			off := int64(0)
			for b.Loop() {
				rc, err := domain.OpenBlobRange(context.Background(), s, d, off, 64<<10)
				if err != nil {
					b.Fatal(err)
				}
				if n, err := io.Copy(io.Discard, rc); err != nil || n != 64<<10 {
					b.Fatal(n, err)
				}
				rc.Close()
				off = (off + 1<<20) % (7 << 20)
			}
		})
	}
}

func sizeName(n int) string {
	if n >= 1<<20 {
		return strconv.Itoa(n>>20) + "MiB"
	}
	return strconv.Itoa(n>>10) + "KiB"
}
