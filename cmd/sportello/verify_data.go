package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/signing/tlog"
)

// verifyData runs the log audit on the database of an existing installation: a registration
// whose row no longer matches its logged leaf was altered behind the database's guards; one
// older than lag without a leaf was never logged. Then, unless fixity is false (--no-fixity),
// the fixity checks (verify_fixity.go): a stored blob missing, altered or unreadable. Any of
// them fails the command.
func verifyData(ctx context.Context, cfg app.Config, lag time.Duration, fixity bool, stdout io.Writer) error {
	m := app.New(cfg, cfg.Logger())
	defer m.Close()
	if err := m.OpenExisting(ctx); err != nil {
		return err
	}
	auditErr := auditData(ctx, m, lag, stdout)
	if !fixity {
		return auditErr
	}
	return errors.Join(auditErr, verifyFixity(ctx, m, stdout))
}

// auditData is the log audit of verifyData.
func auditData(ctx context.Context, m *app.Main, lag time.Duration, stdout io.Writer) error {
	rep, err := m.Audit(ctx, tlog.AuditOptions{Lag: lag})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "checked %d leaves; latest checkpoint size %d\n", rep.Leaves, rep.CheckpointSize)
	for _, mm := range rep.Mismatches {
		if mm.Identifier == "" { // the log itself: a missing leaf, a checkpoint
			fmt.Fprintf(stdout, "FAIL %s %d: %s\n", mm.Kind, mm.Index, mm.Problem)
			continue
		}
		fmt.Fprintf(stdout, "FAIL leaf %d %s %s: %s\n", mm.Index, mm.Kind, mm.Identifier, mm.Problem)
	}
	for _, f := range rep.Unlogged {
		fmt.Fprintf(stdout, "FAIL %s never logged: %s of %s has no leaf in the transparency log\n",
			f.Kind, factName(f), f.At.UTC().Format(time.RFC3339))
	}
	for _, f := range rep.Pending {
		fmt.Fprintf(stdout, "     %s pending: %s of %s is not logged yet, within the %s lag\n",
			f.Kind, factName(f), f.At.UTC().Format(time.RFC3339), lag)
	}
	if len(rep.Mismatches) == 0 {
		fmt.Fprintln(stdout, "ok   every logged registration and annulment matches the database")
	}
	if len(rep.Unlogged) == 0 {
		fmt.Fprintf(stdout, "ok   every registration and annulment older than %s is logged\n", lag)
	}
	if !rep.OK() {
		return fmt.Errorf("%w: %d mismatches between the database and the transparency log, %d facts never logged",
			errVerifyFailed, len(rep.Mismatches), len(rep.Unlogged))
	}
	return nil
}

// factName names a fact by its reference and identifier: PG/2026/0000042 (c_h501-…).
func factName(f domain.UnloggedFact) string {
	return fmt.Sprintf("%s (%s)", domain.Ref{Register: f.Register, Year: f.Year, Number: f.Number}, f.Identifier)
}

// noFixityFlag takes --no-fixity out of the arguments of `verify --data`: it skips the fixity
// checks, which read every stored blob and may take hours on a large store.
func noFixityFlag(args []string) (bool, []string) {
	var rest []string
	skip := false
	for _, a := range args {
		if a == "--no-fixity" || a == "-no-fixity" {
			skip = true
			continue
		}
		rest = append(rest, a)
	}
	return skip, rest
}

// lagFlag takes --lag DURATION (or --lag=DURATION) out of the arguments of `verify --data`,
// which are otherwise the configuration's flags; it defaults to tlog.DefaultLag.
func lagFlag(args []string) (time.Duration, []string, error) {
	lag := tlog.DefaultLag
	var rest []string
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		if !strings.HasPrefix(args[i], "-") || name != "lag" {
			rest = append(rest, args[i])
			continue
		}
		if !hasValue {
			if i+1 == len(args) {
				return 0, nil, fmt.Errorf("verify --data: --lag needs a duration, e.g. %s", tlog.DefaultLag)
			}
			i++
			value = args[i]
		}
		d, err := time.ParseDuration(value)
		if err != nil || d < 0 {
			return 0, nil, fmt.Errorf("verify --data: --lag %q: want a duration that is not negative, e.g. %s", value, tlog.DefaultLag)
		}
		lag = d
	}
	return lag, rest, nil
}
