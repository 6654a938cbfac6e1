package main

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/importer"
	"github.com/sportello/sportello/internal/apiclient"
)

// serverPoll is how often `sportello import --server-side` asks the server how its import moves.
var serverPoll = time.Second

// importOnServer uploads the source to POST /v1/imports and follows the import until it ends:
// the server registers the rows (numbering each register's rows in order, batch by batch, and
// binding page images into searchable PDFs), the tool shows the progress and writes the report.
// The upload's Idempotency-Key is the archive's digest, so the same source uploaded again (a
// second run after Ctrl-C, which leaves the import running on the server) follows the same
// import rather than starting another.
func (r *importRun) importOnServer(ctx context.Context) error {
	archive, cleanup, err := r.archive()
	if err != nil {
		return &exitError{exitUsage, err}
	}
	defer cleanup()
	im, err := r.upload(ctx, archive)
	if err != nil {
		return &exitError{exitSomeFailed, err}
	}
	fmt.Fprintf(r.out, "import %s: %s\n", im.ID, im.State)
	r.progress = newProgress(r.out, r.total)
	seen, failed := 0, map[int]string{} // line → reason: the failures the server lists (at most 1,000)
	for {
		for _, f := range im.Failures {
			if _, ok := failed[f.Row]; !ok {
				failed[f.Row] = f.Reason
				r.progress.done(importer.Row{Line: f.Row}, rowResult{state: rowFailed, reason: f.Reason})
				seen++
			}
		}
		for ; seen < im.RowsDone+min(im.RowsFailed, len(failed)); seen++ {
			r.progress.done(importer.Row{}, rowResult{state: rowRegistered})
		}
		if ended(im.State) {
			break
		}
		select {
		case <-ctx.Done():
			r.progress.finish()
			return &exitError{exitSomeFailed, fmt.Errorf("interrupted: import %s goes on on the server; run the same command again to follow it", im.ID)}
		case <-time.After(serverPoll):
		}
		if im, err = r.getImport(ctx, im.ID); err != nil {
			r.progress.finish()
			return &exitError{exitSomeFailed, err}
		}
	}
	return r.finishOnServer(im, failed)
}

// ended reports whether an import's state is final.
func ended(state string) bool { return state == "done" || state == "failed" || state == "cancelled" }

// finishOnServer writes the report and the summary of an ended import, and returns the exit
// status as an error. The report lists the failed rows the server listed, in manifest order,
// with their files (read again from the manifest, a row at a time).
func (r *importRun) finishOnServer(im *api.Import, failed map[int]string) error {
	r.progress.finish()
	rep, err := newReportWriter(r.flags.report)
	if err != nil {
		return &exitError{exitSomeFailed, err}
	}
	if len(failed) > 0 {
		err = r.src.EachRow(func(_ int, row importer.Row) error {
			if reason, ok := failed[row.Line]; ok {
				rep.add(row, reason)
			}
			return nil
		})
	}
	if cerr := rep.close(r.out); err == nil {
		err = cerr
	}
	if err != nil {
		return &exitError{exitSomeFailed, err}
	}
	total := r.total
	if im.RowsTotal != nil {
		total = *im.RowsTotal
	}
	fmt.Fprintf(r.out, "import %s %s: %d rows: %d registered, %d failed, %d not registered\n",
		im.ID, im.State, total, im.RowsDone, im.RowsFailed, im.RowsPending)
	if n := im.RowsFailed - len(failed); n > 0 {
		fmt.Fprintf(r.out, "%d more failed rows than the server lists: GET /v1/imports/%s\n", n, im.ID)
	}
	switch {
	case im.State == "failed":
		return &exitError{exitSomeFailed, fmt.Errorf("the import failed: %s", im.Error)}
	case im.State == "cancelled":
		return &exitError{exitSomeFailed, errors.New("the import was cancelled")}
	case im.RowsFailed+im.RowsPending > 0:
		return &exitError{exitSomeFailed, fmt.Errorf("%d rows did not go in", im.RowsFailed+im.RowsPending)}
	}
	return nil
}

// archive is the file to upload: the source itself when it is a .zip, else a zip of the
// manifest and the files it names, written to a temporary file (deleted by cleanup) in a fixed
// order with fixed times, so that the same folder always makes the same archive.
func (r *importRun) archive() (name string, cleanup func(), err error) {
	if strings.EqualFold(path.Ext(r.flags.source), ".zip") {
		return r.flags.source, func() {}, nil
	}
	f, err := os.CreateTemp("", "sportello-import-*.zip")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { f.Close(); os.Remove(f.Name()) }
	zw := zip.NewWriter(f)
	// Each file once: the set of names grows with the files, as the zip's own directory does.
	seen := map[string]bool{importer.ManifestName: true}
	err = r.addToArchive(zw, importer.ManifestName)
	if err == nil {
		err = r.src.EachRow(func(_ int, row importer.Row) error {
			for _, p := range row.Files() {
				if c := path.Clean(p); !seen[c] {
					seen[c] = true
					if err := r.addToArchive(zw, c); err != nil {
						return err
					}
				}
			}
			return nil
		})
	}
	if err != nil {
		cleanup()
		return "", nil, err
	}
	if err := zw.Close(); err != nil {
		cleanup()
		return "", nil, err
	}
	return f.Name(), cleanup, nil
}

// archiveTime is the modification time of every entry of an archive the tool makes.
var archiveTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// addToArchive copies a file of the source into the archive; a file that cannot be opened is
// left out, and the server fails its row as the tool would ("no such file").
func (r *importRun) addToArchive(zw *zip.Writer, name string) error {
	in, err := r.src.OpenFile(name)
	if err != nil {
		if name == importer.ManifestName {
			return err
		}
		return nil
	}
	defer in.Close()
	if st, err := in.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil
	}
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: archiveTime})
	if err != nil {
		return err
	}
	_, err = io.Copy(w, in)
	return err
}

// upload sends the archive to POST /v1/imports, streamed, with its digest as Idempotency-Key.
func (r *importRun) upload(ctx context.Context, name string) (*api.Import, error) {
	sum, err := fileDigest(name)
	if err != nil {
		return nil, err
	}
	key := "import-archive-" + sum
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			f, err := os.Open(name)
			if err != nil {
				return err
			}
			defer f.Close()
			part, err := mw.CreateFormFile("file", r.archiveName())
			if err != nil {
				return err
			}
			if _, err := io.Copy(part, f); err != nil {
				return err
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	resp, err := r.api.CreateImportWithBody(ctx, &apiclient.CreateImportParams{IdempotencyKey: &key}, mw.FormDataContentType(), pr)
	if err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	return decodeImport(resp, http.StatusAccepted)
}

// archiveName is the uploaded archive's file name: the source's, a folder's with .zip. It is
// part of what the Idempotency-Key stands for, so it is the same at every run.
func (r *importRun) archiveName() string {
	base := filepath.Base(filepath.Clean(r.flags.source))
	if strings.EqualFold(filepath.Ext(base), ".zip") {
		return base
	}
	return base + ".zip"
}

// getImport reads the import's state.
func (r *importRun) getImport(ctx context.Context, id string) (*api.Import, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return nil, fmt.Errorf("the server's import id %q: %w", id, err)
	}
	resp, err := r.api.GetImport(ctx, uid)
	if err != nil {
		return nil, err
	}
	return decodeImport(resp, http.StatusOK)
}

// decodeImport reads an import from a response with the status wanted, or the problem.
func decodeImport(resp *http.Response, want int) (*api.Import, error) {
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("the server answered %s: %s", resp.Status, problemText(body))
	}
	var im api.Import
	if err := json.Unmarshal(body, &im); err != nil {
		return nil, fmt.Errorf("the server's answer: %w", err)
	}
	return &im, nil
}

// fileDigest is the SHA-256 (hex) of a file, streamed.
func fileDigest(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
