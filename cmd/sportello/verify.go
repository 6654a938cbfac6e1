package main

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/sportello/sportello/archive"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/verify"
)

// errVerifyFailed is returned when a check fails, so that the process exits with status 1
// after the checks themselves were printed.
var errVerifyFailed = errors.New("verification failed")

// verifyOptions are the trust decisions a verifier makes: which sealing and TSA certificates
// to accept, by fingerprint or as files held apart from the receipt.
type verifyOptions struct {
	fingerprint, tsaFingerprint string
	certificate, tsaCertificate string
	// schema is the UNI SInCRO schema file a package's index is validated against (xmllint).
	schema string
	// json prints the report as one JSON object instead of lines.
	json bool
}

// verifyCmd implements `sportello verify FILE` (offline, no server and no database: a receipt
// PDF, a receipt JSON, a checkpoint JSON or an archive package zip) and `sportello verify --data` (the configured
// database against the transparency log).
func verifyCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	// --data is a mode, not a setting: the configuration has its own --data (the data
	// directory), so the mode must come first and everything after it configures the app.
	if len(args) > 0 && (args[0] == "--audit" || args[0] == "-audit") {
		return verifyAuditCmd(ctx, args[1:], getenv, stdout)
	}
	if len(args) > 0 && (args[0] == "--data" || args[0] == "-data") {
		noFixity, rest := noFixityFlag(args[1:])
		lag, rest, err := lagFlag(rest)
		if err != nil {
			return err
		}
		cfg, err := app.Load(rest, getenv)
		if err != nil {
			return err
		}
		return verifyData(ctx, cfg, lag, !noFixity, stdout)
	}
	var opts verifyOptions
	fs := flag.NewFlagSet("sportello verify", flag.ContinueOnError)
	fs.StringVar(&opts.fingerprint, "fingerprint", "", "require this sealing certificate (hex SHA-256 of its DER, as /v1/info publishes)")
	fs.StringVar(&opts.tsaFingerprint, "tsa-fingerprint", "", "require this time-stamping authority certificate (hex SHA-256 of its DER)")
	fs.StringVar(&opts.certificate, "certificate", "", "sealing certificate file (PEM or DER); needed for a checkpoint.json")
	fs.StringVar(&opts.tsaCertificate, "tsa-certificate", "", "time-stamping authority certificate file (PEM or DER)")
	fs.StringVar(&opts.schema, "schema", "", "Unisincro_PIndex.xsd, to validate a package's index with xmllint")
	fs.BoolVar(&opts.json, "json", false, "print the report as JSON")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return errors.New("usage: sportello verify [--fingerprint HEX] [--tsa-fingerprint HEX] [--certificate FILE] [--schema XSD] [--json] FILE\n" +
			"       sportello verify --data [--lag DURATION] [--no-fixity] [configuration flags]\n" +
			"       sportello verify --audit [--certificate FILE] EXPORT.ndjson | --audit --data [configuration flags]")
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	return verifyFile(raw, opts, stdout)
}

// parseInterspersed parses flags placed before or after the file names.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return rest, nil
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// verifyFile verifies raw with package verify and prints each check as ok or FAIL with its
// reason (or, with --json, the report as one JSON object); it fails when a check did.
func verifyFile(raw []byte, opts verifyOptions, out io.Writer) error {
	vo := verify.Options{Fingerprint: opts.fingerprint, TSAFingerprint: opts.tsaFingerprint,
		SchemaNote:   "index schema not checked: pass --schema Unisincro_PIndex.xsd (xmllint needed)",
		SchemaNoteIT: "schema dell'indice non verificato: usare --schema Unisincro_PIndex.xsd (serve xmllint)"}
	var err error
	if vo.Certificate, err = readCertFile(opts.certificate); err != nil {
		return fmt.Errorf("verify: --certificate: %w", err)
	}
	if vo.TSACertificate, err = readCertFile(opts.tsaCertificate); err != nil {
		return fmt.Errorf("verify: --tsa-certificate: %w", err)
	}
	vo.CertificateSource, vo.TSACertificateSource = opts.certificate, opts.tsaCertificate
	if opts.schema != "" {
		vo.Schema = func(index []byte) (string, error) { return xmllintSchema(index, opts.schema) }
	}
	rep := verify.File(raw, vo)
	if opts.json {
		if err := writeJSONReport(out, rep); err != nil {
			return err
		}
	} else {
		printReport(out, rep)
	}
	if !rep.OK {
		return fmt.Errorf("%w: %s", errVerifyFailed, strings.Join(rep.Failed, "; "))
	}
	return nil
}

// printReport prints each check as a line (ok or FAIL), then the notes, then the verdict.
func printReport(out io.Writer, rep verify.Report) {
	for _, c := range rep.Checks {
		switch {
		case !c.OK:
			fmt.Fprintf(out, "FAIL %s: %s\n", c.Name, c.Error)
		case c.Detail != "":
			fmt.Fprintf(out, "ok   %s (%s)\n", c.Name, c.Detail)
		default:
			fmt.Fprintf(out, "ok   %s\n", c.Name)
		}
	}
	for _, n := range rep.Notes {
		fmt.Fprintln(out, "     "+n.Text)
	}
	if rep.OK {
		fmt.Fprintln(out, "all checks passed")
	}
}

// verifyReport is the --json report: every check in order, the notes, and whether all passed.
type verifyReport struct {
	OK     bool          `json:"ok"`
	Checks []verifyCheck `json:"checks"`
	Notes  []string      `json:"notes"`
	Failed []string      `json:"failed"`
}

// verifyCheck is one check of the --json report.
type verifyCheck struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
	Error  string `json:"error,omitempty"`
}

func writeJSONReport(out io.Writer, rep verify.Report) error {
	r := verifyReport{OK: rep.OK, Checks: []verifyCheck{}, Notes: []string{}, Failed: rep.Failed}
	for _, c := range rep.Checks {
		r.Checks = append(r.Checks, verifyCheck{Name: c.Name, OK: c.OK, Detail: c.Detail, Error: c.Error})
	}
	for _, n := range rep.Notes {
		r.Notes = append(r.Notes, n.Text)
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// xmllintSchema validates a package's index against the schema file with xmllint: Sportello
// does not ship the schema, and the verify package runs no program.
func xmllintSchema(index []byte, schema string) (string, error) {
	if _, err := exec.LookPath("xmllint"); err != nil {
		return "", errors.New("xmllint is not installed (Debian package libxml2-utils)")
	}
	dir, err := os.MkdirTemp("", "sportello-verify-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	doc := filepath.Join(dir, archive.IndexName)
	if err := os.WriteFile(doc, index, 0o600); err != nil {
		return "", err
	}
	out, err := exec.Command("xmllint", "--noout", "--nonet", "--schema", schema, doc).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
	}
	return filepath.Base(schema), nil
}

// readCertFile reads one certificate as PEM or DER; no path, no certificate.
func readCertFile(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if block, _ := pem.Decode(b); block != nil {
		return block.Bytes, nil
	}
	return b, nil
}
