package blob_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/tinydisk"
	"github.com/sportello/sportello/storage/blob"
	"github.com/sportello/sportello/storage/blob/blobtest"
)

func TestParseS3URL(t *testing.T) {
	c, err := blob.ParseS3URL("s3://archivio/aoo-1/?endpoint=https://s3.example.it&region=eu-south-1&path_style=true&object_lock_days=3650&object_lock_mode=governance")
	want := blob.S3Config{Bucket: "archivio", Prefix: "aoo-1/", Endpoint: "https://s3.example.it", Region: "eu-south-1",
		PathStyle: true, ObjectLockDays: 3650, ObjectLockMode: "GOVERNANCE"}
	if err != nil || c != want {
		t.Fatalf("ParseS3URL = %+v, %v; want %+v", c, err, want)
	}
	if c, _ := blob.ParseS3URL("s3://archivio"); c.ObjectLockMode != string(types.ObjectLockModeCompliance) || c.Prefix != "" {
		t.Fatalf("defaults %+v", c)
	}
	for name, raw := range map[string]string{
		"ErrNoBucket":       "s3:///x",
		"ErrCredentials":    "s3://key:secret@archivio",
		"ErrUnknownParam":   "s3://archivio?endpont=http://x",
		"ErrEndpointScheme": "s3://archivio?endpoint=file:///etc",
		"ErrPathStyle":      "s3://archivio?path_style=maybe",
		"ErrLockDays":       "s3://archivio?object_lock_days=-1",
		"ErrLockMode":       "s3://archivio?object_lock_mode=forever",
		"ErrScheme":         "file:///var/lib/sportello",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := blob.ParseS3URL(raw); err == nil {
				t.Fatalf("ParseS3URL(%q) accepted", raw)
			}
		})
	}
}

// TestS3StartChecks: a bucket that does not exist, or retention asked of a bucket without
// object lock, stops the store from opening.
func TestS3StartChecks(t *testing.T) {
	ctx := context.Background()
	t.Run("ErrNoSuchBucket", func(t *testing.T) {
		c, _ := blob.ParseS3URL(gw.URL("sportello-missing"))
		if _, err := blob.NewS3(ctx, c); err == nil {
			t.Fatal("NewS3 opened a bucket that does not exist")
		}
	})
	t.Run("ErrNoObjectLock", func(t *testing.T) {
		c, _ := blob.ParseS3URL(gw.URL(gw.NewBucket(t, false), "object_lock_days=1"))
		if _, err := blob.NewS3(ctx, c); err == nil {
			t.Fatal("NewS3 accepted object_lock_days on a bucket without object lock")
		}
	})
}

// tamper is a RoundTripper that records the checksum header of each PutObject and, when
// corrupt is set, changes one byte of its body on the way, as a faulty network or proxy would.
type tamper struct {
	mu        sync.Mutex
	checksums []string
	corrupt   bool
}

func (tp *tamper) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodPut || r.Body == nil {
		return http.DefaultTransport.RoundTrip(r)
	}
	tp.mu.Lock()
	tp.checksums = append(tp.checksums, r.Header.Get("X-Amz-Checksum-Sha256"))
	corrupt := tp.corrupt
	tp.mu.Unlock()
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	if corrupt && len(body) > 0 {
		body[len(body)/2] ^= 0xff
	}
	r = r.Clone(r.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.GetBody = nil
	return http.DefaultTransport.RoundTrip(r)
}

// TestS3ChecksumOnWrite: every PutObject carries the content's SHA-256, and bytes changed on
// the way are refused by the server: Put fails and nothing is stored under the digest.
func TestS3ChecksumOnWrite(t *testing.T) {
	ctx := context.Background()
	tp := &tamper{}
	c, _ := blob.ParseS3URL(gw.URL(gw.NewBucket(t, false)))
	c.TempDir = t.TempDir()
	s, err := blob.NewS3(ctx, c, blob.WithHTTPClient(&http.Client{Transport: tp}))
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{1000, 2 << 20} {
		b := blobtest.Content(uint64(size), size)
		blobtest.Put(t, s, b)
		sum := sha256Of(b)
		if last := tp.checksums[len(tp.checksums)-1]; last != base64.StdEncoding.EncodeToString(sum) {
			t.Fatalf("PutObject of %d bytes sent x-amz-checksum-sha256 %q", size, last)
		}
	}
	tp.corrupt = true
	b := blobtest.Content(99, 5000)
	if _, _, err := s.Put(ctx, bytes.NewReader(b)); err == nil {
		t.Fatal("Put succeeded although the server received other bytes")
	}
	tp.corrupt = false
	if ok, err := s.Exists(ctx, blobtest.Digest(b)); ok || err != nil {
		t.Fatalf("corrupted upload stored: %v, %v", ok, err)
	}
}

// TestS3ObjectLock: with object_lock_days each content is stored under compliance-mode retention
// until that many days from now; Delete then fails and the content stays, as WORM requires.
func TestS3ObjectLock(t *testing.T) {
	ctx := context.Background()
	bucket := gw.NewBucket(t, true)
	c, _ := blob.ParseS3URL(gw.URL(bucket, "object_lock_days=30"))
	c.TempDir = t.TempDir()
	s, err := blob.NewS3(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	b := blobtest.Content(42, 2000)
	d := blobtest.Put(t, s, b)
	key := s.Key(d)
	ret, err := gw.Client().GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	until := ret.Retention.RetainUntilDate
	if ret.Retention.Mode != types.ObjectLockRetentionModeCompliance || until == nil ||
		until.Before(before.AddDate(0, 0, 30).Add(-time.Minute)) || until.After(time.Now().AddDate(0, 0, 30).Add(time.Minute)) {
		t.Fatalf("retention %s until %v; want compliance mode for 30 days", ret.Retention.Mode, until)
	}
	if err := s.Delete(ctx, d); err == nil {
		t.Fatal("Delete of content under retention succeeded")
	}
	if !bytes.Equal(blobtest.ReadAll(t, s, d), b) {
		t.Fatal("content under retention changed by a Delete")
	}
}

// TestS3DeleteEveryVersion: in a bucket with object lock (so with versioning) Delete of content
// whose retention is over removes every version of its object, not only the current one behind
// a delete marker: disposal destroys the content.
func TestS3DeleteEveryVersion(t *testing.T) {
	ctx := context.Background()
	bucket := gw.NewBucket(t, true)
	// Two versions of the object, written without retention (a store without object_lock_days).
	plain := openS3(t, gw.URL(bucket))
	b := blobtest.Content(44, 3000)
	d := blobtest.Put(t, plain, b)
	key := plain.Key(d)
	if _, err := gw.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(b)}); err != nil {
		t.Fatal(err)
	}
	if n := versions(t, bucket, key); n != 2 {
		t.Fatalf("%d versions before Delete, want 2", n)
	}
	locked := openS3(t, gw.URL(bucket, "object_lock_days=1"))
	if err := locked.Delete(ctx, d); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if n := versions(t, bucket, key); n != 0 {
		t.Fatalf("%d versions or delete markers left after Delete, want none", n)
	}
	if ok, err := locked.Exists(ctx, d); ok || err != nil {
		t.Fatalf("Exists after Delete = %v, %v", ok, err)
	}
}

// versions counts the versions and delete markers of key.
func versions(t *testing.T, bucket, key string) int {
	t.Helper()
	out, err := gw.Client().ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: &bucket, Prefix: &key})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.Versions) + len(out.DeleteMarkers)
}

// TestS3FullStagingDisk: content over 1 MiB whose staging file does not fit is
// insufficient_storage, like the file store's full disk, and is not stored; smaller content,
// hashed in memory, is stored all the same.
func TestS3FullStagingDisk(t *testing.T) {
	ctx := context.Background()
	c, _ := blob.ParseS3URL(gw.URL(gw.NewBucket(t, false)))
	c.TempDir = tinydisk.Mount(t, "2m")
	s, err := blob.NewS3(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	tinydisk.Fill(t, c.TempDir)
	big := blobtest.Content(45, 3<<20)
	if _, _, err := s.Put(ctx, bytes.NewReader(big)); !domain.IsCode(err, domain.ECInsufficientStorage) {
		t.Fatalf("Put of 3 MiB with a full staging disk: %v, want insufficient_storage", err)
	}
	if ok, _ := s.Exists(ctx, blobtest.Digest(big)); ok {
		t.Fatal("content stored although its staging failed")
	}
	blobtest.Put(t, s, blobtest.Content(46, 1000))
}

// TestS3CorruptObjectFailsRead: bytes changed behind the store's back in the server's files
// are not served as the content: the read fails on the SHA-256 the object was stored with,
// which the SDK checks at the end of a whole-object read. (Fixity, internal/app, compares the
// digest itself, which also finds an object replaced with a checksum of its own.)
func TestS3CorruptObjectFailsRead(t *testing.T) {
	bucket := gw.NewBucket(t, false)
	s := openS3(t, gw.URL(bucket))
	d := blobtest.Put(t, s, blobtest.Content(43, 4000))
	corruptFile(t, gw.ObjectPath(bucket, s.Key(d)))
	rc, err := s.Open(context.Background(), d)
	if err == nil {
		_, err = io.ReadAll(rc)
		rc.Close()
	}
	if err == nil {
		t.Fatal("a corrupted object was read without error")
	}
}

func corruptFile(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	one := make([]byte, 1)
	if _, err := f.ReadAt(one, 10); err != nil {
		t.Fatal(err)
	}
	one[0] ^= 0xff
	if _, err := f.WriteAt(one, 10); err != nil {
		t.Fatal(err)
	}
}

var _ domain.BlobRanger = (*blob.S3)(nil)

func sha256Of(b []byte) []byte {
	sum := sha256.Sum256(b)
	return sum[:]
}

// unplug is a RoundTripper that, while down is set, sends every request to a loopback port
// nothing listens on, as an S3 server that is stopped or unreachable.
type unplug struct {
	down   atomic.Bool
	closed string // host:port of the closed port
}

func (u *unplug) RoundTrip(r *http.Request) (*http.Response, error) {
	if u.down.Load() {
		r = r.Clone(r.Context())
		r.URL.Host = u.closed
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestS3Unreachable: with the S3 server unreachable, writes and reads fail as unavailable (the
// API's 503 with Retry-After) naming the blob store, not as internal errors nor as the
// database; once it is back, they succeed.
func TestS3Unreachable(t *testing.T) {
	ctx := context.Background()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &unplug{closed: l.Addr().String()}
	l.Close()
	c, _ := blob.ParseS3URL(gw.URL(gw.NewBucket(t, false)))
	c.TempDir = t.TempDir()
	s, err := blob.NewS3(ctx, c, blob.WithHTTPClient(&http.Client{Transport: u}))
	if err != nil {
		t.Fatal(err)
	}
	stored := blobtest.Content(1, 1000)
	digest := blobtest.Put(t, s, stored)
	u.down.Store(true)
	_, _, putErr := s.Put(ctx, bytes.NewReader(blobtest.Content(2, 1000)))
	_, openErr := s.Open(ctx, digest)
	_, existsErr := s.Exists(ctx, digest)
	for name, err := range map[string]error{"Put": putErr, "Open": openErr, "Exists": existsErr} {
		if domain.CodeOf(err) != domain.ECUnavailable || !strings.Contains(err.Error(), "the blob store cannot be reached") {
			t.Errorf("%s with the server unreachable: %v (code %s), want unavailable naming the blob store", name, err, domain.CodeOf(err))
		}
	}
	u.down.Store(false)
	blobtest.Put(t, s, blobtest.Content(2, 1000))
	r, err := s.Open(ctx, digest)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, _ := io.ReadAll(r); !bytes.Equal(got, stored) {
		t.Fatal("the content read back once the server is reachable differs")
	}
}
