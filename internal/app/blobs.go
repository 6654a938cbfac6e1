package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/storage/blob"
)

// openBlobStore opens the blob store SPORTELLO_BLOBS names: a directory (file://DIR) or a
// bucket of an S3 service (s3://BUCKET…, storage/blob/s3.go), with credentials from the AWS
// default chain. existing refuses to create a file store's directory, for the commands that
// work on an installation (verify --data). An S3 store is checked at open: the bucket must
// answer, and have object lock enabled when the URL asks for retention.
func (m *Main) openBlobStore(ctx context.Context, existing bool) (domain.BlobStore, error) {
	if blob.IsS3URL(m.Config.Blobs) {
		c, err := blob.ParseS3URL(m.Config.Blobs)
		if err != nil {
			return nil, fmt.Errorf("SPORTELLO_BLOBS: %w", err)
		}
		// Uploads over one MiB are staged here while their digest is computed: in the data
		// directory, which the operator sized, rather than a small /tmp. The commands on an
		// existing installation store nothing and create nothing.
		if !existing {
			c.TempDir = filepath.Join(m.Config.Data, "blob-staging")
			if err := os.MkdirAll(c.TempDir, 0o750); err != nil {
				return nil, fmt.Errorf("blob staging directory: %w", err)
			}
		}
		return blob.NewS3(ctx, c)
	}
	dir, err := m.Config.BlobDir()
	if err != nil {
		return nil, err
	}
	if existing {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("%w: the blob store %s does not exist", ErrNoInstallation, dir)
		}
	}
	return blob.NewFS(dir)
}
