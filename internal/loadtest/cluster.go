package loadtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sportello/sportello/storage/blob/s3test"
)

// PostgresBin is where the PostgreSQL server binaries (initdb, pg_ctl) are looked for when they
// are not on PATH: Debian's layout.
var PostgresBin = "/usr/lib/postgresql/15/bin"

// postgres is a private PostgreSQL cluster in a directory of its own, on a loopback port, so
// that stopping and restarting it disturbs no other database of the machine.
type postgres struct {
	dir  string // cluster directory (PGDATA is dir/data)
	port int
	asPG bool // run its commands as the user postgres (we are root, which PostgreSQL refuses)
}

// pgTool returns the path of a PostgreSQL server binary.
func pgTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	p := filepath.Join(PostgresBin, name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s is neither on PATH nor in %s (set loadtest.PostgresBin)", name, PostgresBin)
	}
	return p, nil
}

// startPostgres creates a cluster under a new directory and starts it.
func startPostgres() (*postgres, error) {
	dir, err := os.MkdirTemp("", "sportello-load-pg-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	pg := &postgres{dir: dir, port: port, asPG: os.Geteuid() == 0}
	if pg.asPG {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root, PostgreSQL needs the user postgres: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	if out, err := pg.run("initdb", "-D", filepath.Join(dir, "data"), "-U", "postgres", "--auth=trust",
		"-E", "UTF8", "--locale=C"); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	if err := pg.start(); err != nil {
		return nil, err
	}
	if out, err := pg.run("createdb", "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "postgres", "sportello"); err != nil {
		return nil, fmt.Errorf("createdb: %w\n%s", err, out)
	}
	return pg, nil
}

// run runs a PostgreSQL binary, as the user postgres when we are root.
func (pg *postgres) run(name string, args ...string) ([]byte, error) {
	bin, err := pgTool(name)
	if err != nil {
		return nil, err
	}
	var cmd *exec.Cmd
	if pg.asPG {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", bin}, args...)...)
	} else {
		cmd = exec.Command(bin, args...)
	}
	cmd.Dir = pg.dir
	return cmd.CombinedOutput()
}

// URL is the database URL of the cluster's database.
func (pg *postgres) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/sportello?sslmode=disable", pg.port)
}

func (pg *postgres) start() error {
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200", pg.port, pg.dir)
	if out, err := pg.run("pg_ctl", "-D", filepath.Join(pg.dir, "data"), "-l", filepath.Join(pg.dir, "postgres.log"),
		"-o", opts, "-w", "-t", "60", "start"); err != nil {
		return fmt.Errorf("pg_ctl start: %w\n%s", err, out)
	}
	return nil
}

// stop stops the cluster in fast mode: sessions are cut, as by a restart or a failover.
func (pg *postgres) stop() error {
	if out, err := pg.run("pg_ctl", "-D", filepath.Join(pg.dir, "data"), "-m", "fast", "-w", "-t", "60", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop: %w\n%s", err, out)
	}
	return nil
}

// close stops the cluster and removes its directory.
func (pg *postgres) close() {
	_ = pg.stop()
	_ = os.RemoveAll(pg.dir)
}

// versity is a versitygw S3 server on a fixed loopback port and directory, so that it can be
// stopped and started again with the same objects, endpoint and keys.
type versity struct {
	dir, addr, access, secret, bucket string
	cmd                               *exec.Cmd
	done                              chan error
}

func startVersity(dir string) (*versity, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	v := &versity{dir: dir, addr: "127.0.0.1:" + strconv.Itoa(port), access: "load" + randHex(4), secret: randHex(20),
		bucket: "sportello-load"}
	for _, d := range []string{"s3", "s3-versions"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o750); err != nil {
			return nil, err
		}
	}
	if err := v.start(); err != nil {
		return nil, err
	}
	c := s3.New(s3.Options{Region: s3test.Region, BaseEndpoint: aws.String("http://" + v.addr), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(v.access, v.secret, "")})
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: &v.bucket}); err != nil {
		v.stop()
		return nil, fmt.Errorf("create bucket: %w", err)
	}
	return v, nil
}

func (v *versity) start() error {
	bin, err := s3test.Binary()
	if err != nil {
		return err
	}
	v.cmd = exec.Command(bin, "--access", v.access, "--secret", v.secret, "--region", s3test.Region,
		"--port", v.addr, "--quiet", "posix", "--versioning-dir", filepath.Join(v.dir, "s3-versions"), filepath.Join(v.dir, "s3"))
	log, err := os.OpenFile(filepath.Join(v.dir, "versitygw.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	v.cmd.Stdout, v.cmd.Stderr = log, log
	if err := v.cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start versitygw: %w", err)
	}
	v.done = make(chan error, 1)
	go func() { v.done <- v.cmd.Wait(); log.Close() }()
	return waitListening(v.addr, v.done, 30*time.Second)
}

func (v *versity) stop() {
	if v.cmd != nil && v.cmd.Process != nil {
		_ = v.cmd.Process.Kill()
		<-v.done
		v.cmd = nil
	}
}

// blobsURL is the SPORTELLO_BLOBS of the bucket.
func (v *versity) blobsURL() string {
	q := url.Values{"endpoint": {"http://" + v.addr}, "region": {s3test.Region}, "path_style": {"true"}}
	return "s3://" + v.bucket + "?" + q.Encode()
}

// env is the AWS environment of a process using the bucket.
func (v *versity) env() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + v.access, "AWS_SECRET_ACCESS_KEY=" + v.secret, "AWS_SESSION_TOKEN=",
		"AWS_REGION=" + s3test.Region, "AWS_PROFILE=", "AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull, "AWS_EC2_METADATA_DISABLED=true"}
}

// replica is one `sportello serve` process with a data directory (and so a search index) of
// its own.
type replica struct {
	name, bin, data, addr string
	env                   []string
	cmd                   *exec.Cmd
	done                  chan error
}

func (r *replica) URL() string { return "http://" + r.addr }

// start starts the process and waits until it answers /readyz.
func (r *replica) start() error {
	r.cmd = exec.Command(r.bin, "serve")
	r.cmd.Env = append(append(os.Environ(), r.env...), "SPORTELLO_ADDR="+r.addr, "SPORTELLO_DATA="+r.data)
	log, err := os.OpenFile(filepath.Join(filepath.Dir(r.data), r.name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	r.cmd.Stdout, r.cmd.Stderr = log, log
	if err := r.cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start %s: %w", r.name, err)
	}
	r.done = make(chan error, 1)
	go func() { r.done <- r.cmd.Wait(); log.Close() }()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-r.done:
			r.cmd = nil
			return fmt.Errorf("%s exited at start: %v (see %s)", r.name, err, log.Name())
		default:
		}
		if resp, err := http.Get(r.URL() + "/readyz"); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready within 2 minutes", r.name)
}

// kill sends SIGKILL (kill -9) and waits for the process to be gone.
func (r *replica) kill() {
	if r.cmd != nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Signal(syscall.SIGKILL)
		<-r.done
		r.cmd = nil
	}
}

// stop asks the process to shut down (SIGTERM), killing it after 30 s.
func (r *replica) stop() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(30 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.done
	}
	r.cmd = nil
}

// buildBinary builds cmd/sportello of the module holding this package into dir.
func buildBinary(dir string) (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	if root == "." || root == "" {
		return "", errors.New("not inside the sportello module: run from its directory or pass the binary")
	}
	bin := filepath.Join(dir, "sportello")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/sportello")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/sportello: %w\n%s", err, out)
	}
	return bin, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitListening waits until addr accepts connections, or the process behind it exits.
func waitListening(addr string, done chan error, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			done <- err
			return fmt.Errorf("exited before listening on %s: %v", addr, err)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("nothing listening on %s within %s", addr, within)
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// tmpfs mounts a small tmpfs on dir (the blob store's disk, which the disk-full scenario fills).
func mountTmpfs(dir, size string) error {
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("mount tmpfs (needs root): %v: %s", err, out)
	}
	return nil
}

func unmount(dir string) { _ = exec.Command("umount", "-l", dir).Run() }

// fill writes a file into dir until the file system is full (ENOSPC), and returns its path.
func fill(dir string) (string, error) {
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	chunk := make([]byte, 64<<10)
	for err == nil {
		_, err = f.Write(chunk)
	}
	f.Close()
	if !errors.Is(err, syscall.ENOSPC) {
		return path, fmt.Errorf("filling %s: %v, want ENOSPC", dir, err)
	}
	for { // what a partial page left, byte by byte
		g, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return path, err
		}
		_, err = g.Write([]byte{0})
		g.Close()
		if err != nil {
			return path, nil
		}
	}
}
