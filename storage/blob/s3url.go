package blob

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// S3Config says where an S3 store keeps its objects. Credentials are not part of it: they come
// from the AWS SDK's default chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE and
// the shared files ~/.aws/credentials and ~/.aws/config, web identity, instance roles).
type S3Config struct {
	Bucket string
	// Prefix is put before every key ("sportello/" for s3://bucket/sportello); empty or ending in "/".
	Prefix string
	// Endpoint is the S3 service's base URL (https://s3.example.it); empty for AWS itself, or
	// for AWS_ENDPOINT_URL_S3.
	Endpoint string
	// Region is the bucket's region; empty takes AWS_REGION or the profile's, else us-east-1.
	Region string
	// PathStyle addresses the bucket in the path (endpoint/bucket/key) rather than the host
	// name: what most S3-compatible servers on premises need.
	PathStyle bool
	// ObjectLockDays, when above zero, stores each content with an object lock retention of
	// this many days (WORM): nobody can overwrite or delete it before then. The bucket must
	// have object lock enabled.
	ObjectLockDays int
	// ObjectLockMode is S3's compliance mode (the default: not even the bucket's owner can
	// shorten the retention) or its governance mode (users with s3:BypassGovernanceRetention can).
	ObjectLockMode string
	// TempDir holds the content of a Put larger than one MiB while its digest is computed;
	// empty is the system's temporary directory.
	TempDir string
}

// IsS3URL reports whether raw names an S3 store (s3://...).
func IsS3URL(raw string) bool { return strings.HasPrefix(raw, "s3://") }

// ParseS3URL reads s3://BUCKET[/PREFIX]?endpoint=URL&region=R&path_style=true&object_lock_days=N&object_lock_mode=M.
func ParseS3URL(raw string) (S3Config, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return S3Config{}, fmt.Errorf("want s3://BUCKET[/PREFIX]?endpoint=...&region=..., got %q", raw)
	}
	if u.User != nil {
		return S3Config{}, fmt.Errorf("s3 blob store %q: credentials do not belong in the URL: use AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or the AWS shared files", u.Host)
	}
	c := S3Config{Bucket: u.Host, ObjectLockMode: "COMPLIANCE"}
	if p := strings.Trim(u.Path, "/"); p != "" {
		c.Prefix = p + "/"
	}
	q := u.Query()
	for name := range q {
		switch name {
		case "endpoint", "region", "path_style", "object_lock_days", "object_lock_mode":
		default:
			return S3Config{}, fmt.Errorf("s3 blob store: unknown parameter %q", name)
		}
	}
	c.Endpoint, c.Region = q.Get("endpoint"), q.Get("region")
	if c.Endpoint != "" {
		e, err := url.Parse(c.Endpoint)
		if err != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" {
			return S3Config{}, fmt.Errorf("s3 blob store: endpoint %q is not an http(s) URL", c.Endpoint)
		}
	}
	if v := q.Get("path_style"); v != "" {
		if c.PathStyle, err = strconv.ParseBool(v); err != nil {
			return S3Config{}, fmt.Errorf("s3 blob store: path_style %q: want true or false", v)
		}
	}
	if v := q.Get("object_lock_days"); v != "" {
		if c.ObjectLockDays, err = strconv.Atoi(v); err != nil || c.ObjectLockDays < 0 {
			return S3Config{}, fmt.Errorf("s3 blob store: object_lock_days %q: want a number of days", v)
		}
	}
	if v := q.Get("object_lock_mode"); v != "" {
		c.ObjectLockMode = strings.ToUpper(v)
		if c.ObjectLockMode != "COMPLIANCE" && c.ObjectLockMode != "GOVERNANCE" {
			return S3Config{}, fmt.Errorf("s3 blob store: object_lock_mode %q: want COMPLIANCE or GOVERNANCE", v)
		}
	}
	return c, nil
}
