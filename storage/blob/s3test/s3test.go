// Package s3test runs a real S3 server for tests: versitygw, a Go S3 gateway, with its POSIX
// backend over a temporary directory, listening on loopback. Its binary is the one
// SPORTELLO_VERSITYGW names, else versitygw on PATH, else $GOPATH/bin/versitygw-v1.8.0/versitygw,
// built there once by `go install` from the module proxy (.ci/run builds it before the tests).
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"go/build"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Module is the versitygw release the tests run.
const Module = "github.com/versity/versitygw/cmd/versitygw@v1.8.0"

// Region is the region the server answers for.
const Region = "us-east-1"

// Server is a running versitygw. Its root user's keys are Access and Secret; the objects of
// bucket B are the files under Dir/B, named by their keys.
type Server struct {
	Endpoint string
	Dir      string
	Access   string
	Secret   string
	addr     string
	args     []string
	logPath  string
	cmd      *exec.Cmd // nil while stopped
	done     chan error
}

// Binary returns the versitygw executable, building it if it is nowhere to be found.
func Binary() (string, error) {
	if p := os.Getenv("SPORTELLO_VERSITYGW"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	bin := filepath.Join(build.Default.GOPATH, "bin", "versitygw-v1.8.0")
	p := filepath.Join(bin, "versitygw")
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	cmd := exec.Command("go", "install", Module)
	cmd.Env = append(os.Environ(), "GOBIN="+bin)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s: %w\n%s", Module, err, out)
	}
	return p, nil
}

// Start runs versitygw over a new directory under dir until Close.
func Start(dir string) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	root := filepath.Join(dir, "s3")
	versions := filepath.Join(dir, "s3-versions")
	for _, d := range []string{root, versions} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, err
		}
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	s := &Server{Endpoint: "http://" + addr, Dir: root, Access: "sportello" + randHex(4), Secret: randHex(20),
		addr: addr, logPath: filepath.Join(dir, "versitygw.log")}
	s.args = []string{bin, "--access", s.Access, "--secret", s.Secret, "--region", Region,
		"--port", addr, "--quiet", "posix", "--versioning-dir", versions, root}
	if err := s.run(); err != nil {
		return nil, err
	}
	return s, nil
}

// Run starts a server for the test t under t.TempDir(), stops it when t ends, and points the
// AWS SDK's default credential chain at it (Env, through t.Setenv): what a test of a store,
// a server or a command on S3 needs first.
func Run(t testing.TB) *Server {
	t.Helper()
	s, err := Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	for k, v := range s.Env() {
		t.Setenv(k, v)
	}
	return s
}

// run starts the process and waits until it listens.
func (s *Server) run() error {
	log, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(s.args[0], s.args[1:]...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start versitygw: %w", err)
	}
	done := make(chan error, 1)
	s.cmd, s.done = cmd, done
	go func() { done <- cmd.Wait(); log.Close() }()
	for range 300 {
		select {
		case err := <-done:
			s.cmd = nil
			out, _ := os.ReadFile(s.logPath)
			return fmt.Errorf("versitygw exited: %v\n%s", err, out)
		default:
		}
		if c, err := net.DialTimeout("tcp", s.addr, 100*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.Close()
	return errors.New("versitygw did not listen within 15 s")
}

// Stop kills the server, keeping its directory: its endpoint refuses connections until
// Restart.
func (s *Server) Stop() { s.Close() }

// Restart starts the server again after Stop, on the same address, directory and keys.
func (s *Server) Restart() error {
	if s.cmd != nil {
		return errors.New("versitygw is running")
	}
	return s.run()
}

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Close stops the server.
func (s *Server) Close() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// Env points the AWS SDK's default credential chain at this server's root user, as an
// operator's AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY would; for TestMain (os.Setenv).
func (s *Server) Env() map[string]string {
	return map[string]string{
		"AWS_ACCESS_KEY_ID": s.Access, "AWS_SECRET_ACCESS_KEY": s.Secret, "AWS_SESSION_TOKEN": "",
		"AWS_REGION": Region, "AWS_PROFILE": "", "AWS_CONFIG_FILE": os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_EC2_METADATA_DISABLED": "true",
	}
}

// SetEnv sets Env in the process, for TestMain.
func (s *Server) SetEnv() {
	for k, v := range s.Env() {
		os.Setenv(k, v)
	}
}

// Client is an S3 client of the root user, to look at or tamper with buckets behind the store's back.
func (s *Server) Client() *s3.Client {
	return s3.New(s3.Options{Region: Region, BaseEndpoint: aws.String(s.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(s.Access, s.Secret, "")})
}

// NewBucket creates a bucket with a new name, with object lock if lock is true.
func (s *Server) NewBucket(t testing.TB, lock bool) string {
	t.Helper()
	name := "sportello-" + randHex(6)
	in := &s3.CreateBucketInput{Bucket: &name}
	if lock {
		in.ObjectLockEnabledForBucket = aws.Bool(true)
	}
	if _, err := s.Client().CreateBucket(context.Background(), in); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	return name
}

// URL is the SPORTELLO_BLOBS value of bucket on this server, with extra parameters ("object_lock_days=1").
func (s *Server) URL(bucket string, params ...string) string {
	q := url.Values{"endpoint": {s.Endpoint}, "region": {Region}, "path_style": {"true"}}
	for _, p := range params {
		k, v, _ := strings.Cut(p, "=")
		q.Set(k, v)
	}
	return "s3://" + bucket + "?" + q.Encode()
}

// Key is the object key the S3 store (no prefix) keeps the content with this digest under.
func Key(digest string) string { return digest[:2] + "/" + digest }

// ObjectPath is the file versitygw keeps the object key of bucket in.
func (s *Server) ObjectPath(bucket, key string) string {
	return filepath.Join(s.Dir, bucket, filepath.FromSlash(key))
}
