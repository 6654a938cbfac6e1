package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/sportello/sportello/domain"
)

// S3 stores each content once as the object <prefix>ab/<sha256> of one bucket, ab being the
// digest's first byte as in the FS store, so that listing or sharding by prefix works alike.
//
// The key is the digest, so Put must know the digest before it sends the first byte: content up
// to one MiB is read into memory, larger content is written to a temporary file while its
// SHA-256 is computed, then sent from there. The same digest goes with the PutObject request
// as x-amz-checksum-sha256: the server refuses the write (BadDigest) unless the bytes it
// received have that digest, and Put checks that the server echoes it back. The object is
// visible only once whole (a PutObject is atomic), so the store never shows part of a content.
type S3 struct {
	client   *s3.Client
	bucket   string
	prefix   string
	lockDays int
	lockMode types.ObjectLockMode
	tempDir  string
	now      func() time.Time
}

var (
	_ domain.BlobStore  = (*S3)(nil)
	_ domain.BlobRanger = (*S3)(nil)
)

// S3Option changes how NewS3 builds its client; tests use it.
type S3Option func(*s3Options)

type s3Options struct {
	httpClient *http.Client
}

// WithHTTPClient makes the store send its requests through c.
func WithHTTPClient(c *http.Client) S3Option { return func(o *s3Options) { o.httpClient = c } }

// NewS3 connects to the bucket c names with the credentials of the AWS default chain, and
// checks that the bucket answers (and has object lock enabled when c asks for retention), so
// that a wrong name or credential stops the server at start rather than at the first upload.
func NewS3(ctx context.Context, c S3Config, opts ...S3Option) (*S3, error) {
	var o s3Options
	for _, opt := range opts {
		opt(&o)
	}
	var load []func(*config.LoadOptions) error
	if c.Region != "" {
		load = append(load, config.WithRegion(c.Region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, fmt.Errorf("s3 blob store %s: credentials: %w", c.Bucket, err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	client := s3.NewFromConfig(cfg, func(so *s3.Options) {
		if c.Endpoint != "" {
			so.BaseEndpoint = aws.String(c.Endpoint)
		}
		so.UsePathStyle = c.PathStyle
		// Ranged reads have no whole-object checksum to validate: that is expected, not news.
		so.DisableLogOutputChecksumValidationSkipped = true
		if o.httpClient != nil {
			so.HTTPClient = o.httpClient
		}
	})
	s := &S3{client: client, bucket: c.Bucket, prefix: c.Prefix, lockDays: c.ObjectLockDays,
		lockMode: types.ObjectLockMode(c.ObjectLockMode), tempDir: c.TempDir, now: time.Now}
	if s.lockMode == "" {
		s.lockMode = types.ObjectLockModeCompliance
	}
	if _, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &c.Bucket}); err != nil {
		return nil, fmt.Errorf("s3 blob store %s: %w", c.Bucket, err)
	}
	if c.ObjectLockDays > 0 {
		out, err := client.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: &c.Bucket})
		if err != nil {
			return nil, fmt.Errorf("s3 blob store %s: object_lock_days needs a bucket with object lock: %w", c.Bucket, err)
		}
		if out.ObjectLockConfiguration == nil || out.ObjectLockConfiguration.ObjectLockEnabled != types.ObjectLockEnabledEnabled {
			return nil, fmt.Errorf("s3 blob store %s: object_lock_days needs a bucket with object lock enabled", c.Bucket)
		}
	}
	return s, nil
}

// Client is the S3 client the store uses, for tools and tests that look at the bucket directly.
func (s *S3) Client() *s3.Client { return s.client }

// Key is the object key of the content with this digest.
func (s *S3) Key(digest string) string { return s.prefix + digest[:2] + "/" + digest }

// key checks digest and returns its object key; a malformed digest is simply not stored.
func (s *S3) key(digest string) (string, error) {
	if len(digest) != sha256.Size*2 {
		return "", domain.Errorf(domain.ECNotFound, "content %q not found", digest)
	}
	if _, err := hex.DecodeString(digest); err != nil {
		return "", domain.Errorf(domain.ECNotFound, "content %q not found", digest)
	}
	return s.Key(digest), nil
}

// Put stores r's bytes and returns their digest and size. Content already stored is not sent
// again. Returns insufficient_storage when the temporary directory is full.
func (s *S3) Put(ctx context.Context, r io.Reader) (string, int64, error) {
	body, sum, size, done, err := s.stage(ctx, r)
	if err != nil {
		return "", 0, full(fmt.Errorf("put blob: %w", err))
	}
	defer done()
	digest := hex.EncodeToString(sum)
	key := s.Key(digest)
	if ok, err := s.exists(ctx, key); err != nil {
		return "", 0, unreachable(fmt.Errorf("put blob %s: %w", digest, err))
	} else if ok {
		return digest, size, nil
	}
	checksum := base64.StdEncoding.EncodeToString(sum)
	in := &s3.PutObjectInput{Bucket: &s.bucket, Key: &key, Body: body, ContentLength: aws.Int64(size),
		ChecksumSHA256: aws.String(checksum), ContentType: aws.String("application/octet-stream")}
	if s.lockDays > 0 {
		in.ObjectLockMode = s.lockMode
		in.ObjectLockRetainUntilDate = aws.Time(s.now().UTC().AddDate(0, 0, s.lockDays))
	}
	out, err := s.client.PutObject(ctx, in, payloadHash(digest))
	if err != nil {
		return "", 0, unreachable(fmt.Errorf("put blob %s: %w", digest, err))
	}
	if out.ChecksumSHA256 != nil && *out.ChecksumSHA256 != checksum {
		return "", 0, fmt.Errorf("put blob %s: the server stored SHA-256 %s, not %s", digest, *out.ChecksumSHA256, checksum)
	}
	return digest, size, nil
}

// payloadHash gives the request signature the payload's SHA-256, which Put has computed already:
// the SDK would otherwise read the whole body once more to hash it (over plain HTTP, where the
// payload is signed) before sending it. The server checks it against the bytes it receives.
func payloadHash(digest string) func(*s3.Options) {
	return func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Finalize.Insert(middleware.FinalizeMiddlewareFunc("SportelloPayloadHash",
				func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
					return next.HandleFinalize(v4.SetPayloadHash(ctx, digest), in)
				}), "ComputePayloadHash", middleware.Before)
		})
	}
}

// stage reads r to its end, in memory up to inMemory bytes and in a temporary file beyond, and
// returns a seekable body with the bytes' digest and size; done releases the body.
func (s *S3) stage(ctx context.Context, r io.Reader) (io.ReadSeeker, []byte, int64, func(), error) {
	r = ctxReader{ctx, r}
	head := new(bytes.Buffer)
	n, err := io.CopyN(head, r, inMemory+1)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, 0, nil, err
	}
	if n <= inMemory {
		sum := sha256.Sum256(head.Bytes())
		return bytes.NewReader(head.Bytes()), sum[:], n, func() {}, nil
	}
	tmp, err := os.CreateTemp(s.tempDir, ".s3put-*")
	if err != nil {
		return nil, nil, 0, nil, err
	}
	remove := func() { tmp.Close(); os.Remove(tmp.Name()) }
	h := sha256.New()
	size, err := io.Copy(io.MultiWriter(tmp, h), io.MultiReader(head, r))
	if err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	if err != nil {
		remove()
		return nil, nil, 0, nil, err
	}
	return tmp, h.Sum(nil), size, remove, nil
}

// exists reports whether the object key is stored.
func (s *S3) exists(ctx context.Context, key string) (bool, error) {
	_, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	switch {
	case err == nil:
		return true, nil
	case isNotFound(err):
		return false, nil
	default:
		return false, err
	}
}

// isNotFound reports whether err is S3's answer for a missing object.
func isNotFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	var re *awshttp.ResponseError
	return errors.As(err, &nsk) || errors.As(err, &nf) || (errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound)
}

// Open returns the content with this digest. Reading stops with ctx's error once ctx is done.
func (s *S3) Open(ctx context.Context, digest string) (io.ReadCloser, error) {
	return s.get(ctx, digest, "")
}

// OpenRange returns length bytes of the content from offset, or all from offset when length is
// negative, asking the server for those bytes only. A range past the end reads nothing.
func (s *S3) OpenRange(ctx context.Context, digest string, offset, length int64) (io.ReadCloser, error) {
	if offset < 0 {
		return nil, domain.Errorf(domain.ECValidation, "negative offset %d", offset)
	}
	if length == 0 {
		if ok, err := s.Exists(ctx, digest); err != nil || !ok {
			return nil, notFoundOr(digest, err)
		}
		return io.NopCloser(strings.NewReader("")), nil
	}
	rng := fmt.Sprintf("bytes=%d-", offset)
	if length > 0 {
		rng += fmt.Sprint(offset + length - 1)
	}
	return s.get(ctx, digest, rng)
}

func notFoundOr(digest string, err error) error {
	if err != nil {
		return unreachable(fmt.Errorf("stat blob %s: %w", digest, err))
	}
	return domain.Errorf(domain.ECNotFound, "content %s not found", digest)
}

func (s *S3) get(ctx context.Context, digest, rng string) (io.ReadCloser, error) {
	key, err := s.key(digest)
	if err != nil {
		return nil, err
	}
	in := &s3.GetObjectInput{Bucket: &s.bucket, Key: &key}
	if rng != "" {
		in.Range = &rng
	}
	out, err := s.client.GetObject(ctx, in)
	var re *awshttp.ResponseError
	switch {
	case err == nil:
		return out.Body, nil
	case isNotFound(err):
		return nil, domain.Errorf(domain.ECNotFound, "content %s not found", digest)
	case rng != "" && errors.As(err, &re) && re.HTTPStatusCode() == http.StatusRequestedRangeNotSatisfiable:
		return io.NopCloser(strings.NewReader("")), nil
	default:
		return nil, unreachable(fmt.Errorf("open blob %s: %w", digest, err))
	}
}

// Exists reports whether content with this digest is stored.
func (s *S3) Exists(ctx context.Context, digest string) (bool, error) {
	key, err := s.key(digest)
	if err != nil {
		return false, nil
	}
	ok, err := s.exists(ctx, key)
	if err != nil {
		return false, unreachable(fmt.Errorf("stat blob %s: %w", digest, err))
	}
	return ok, nil
}

// Delete removes the content with this digest, for disposal (scarto) and for content no
// registration refers to. Content already gone is not an error. In a bucket with versioning
// (which object lock implies) every version of the key is deleted, not just hidden behind a
// delete marker; a version still under retention makes Delete fail, and the disposal keeps the
// content pending until a later sweep (domain.Service.FinishDisposals) succeeds.
func (s *S3) Delete(ctx context.Context, digest string) error {
	key, err := s.key(digest)
	if err != nil {
		return err
	}
	if s.lockDays > 0 {
		return s.deleteVersions(ctx, digest, key)
	}
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &key}); err != nil && !isNotFound(err) {
		return unreachable(fmt.Errorf("delete blob %s: %w", digest, err))
	}
	return nil
}

func (s *S3) deleteVersions(ctx context.Context, digest, key string) error {
	p := s3.NewListObjectVersionsPaginator(s.client, &s3.ListObjectVersionsInput{Bucket: &s.bucket, Prefix: &key})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return unreachable(fmt.Errorf("delete blob %s: list versions: %w", digest, err))
		}
		var ids []*string
		for _, v := range page.Versions {
			if aws.ToString(v.Key) == key {
				ids = append(ids, v.VersionId)
			}
		}
		for _, m := range page.DeleteMarkers {
			if aws.ToString(m.Key) == key {
				ids = append(ids, m.VersionId)
			}
		}
		for _, id := range ids {
			_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &key, VersionId: id})
			if err != nil && !isNotFound(err) {
				return unreachable(fmt.Errorf("delete blob %s version %s: %w", digest, aws.ToString(id), err))
			}
		}
	}
	return nil
}

// Ping reports whether the bucket answers, by a HeadBucket: one cheap request that checks the
// endpoint, the credentials and the bucket, for the readiness check (/readyz).
func (s *S3) Ping(ctx context.Context) error {
	if _, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &s.bucket}); err != nil {
		return fmt.Errorf("s3 blob store %s: %w", s.bucket, err)
	}
	return nil
}

// unreachable returns an unavailable error (503 with Retry-After) wrapping err when the S3
// server could not be reached (a connection refused, cut or timed out, after the SDK's own
// retries) or kept answering 5xx, and err otherwise: the object store being down or restarting
// is the operator's to fix, and the client may retry. Without it the API's fault mapping
// (storage.DB.Faulted) would see the network error and blame the database.
func unreachable(err error) error {
	var send *smithyhttp.RequestSendError
	var op *net.OpError
	var re *awshttp.ResponseError
	if errors.As(err, &send) || errors.As(err, &op) || (errors.As(err, &re) && re.HTTPStatusCode() >= 500) {
		return &domain.Error{Code: domain.ECUnavailable, Message: "the blob store cannot be reached; retry later", Err: err}
	}
	return err
}
