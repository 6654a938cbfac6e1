// Command sportello-load runs one scenario of the load and fault suite (package
// internal/loadtest, docs/operations.md#load-and-fault-suite) on loopback and writes its
// results as markdown:
//
//	go run ./cmd/sportello-load -scenario mixed|kill|pg-restart|disk-full|s3-down -duration 10m -out results.md
//
// It exits 1 when a verification fails, 2 when the run could not be carried out.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/sportello/sportello/internal/loadtest"
)

func main() {
	var o loadtest.Options
	out := ""
	flag.StringVar(&o.Scenario, "scenario", "mixed", "scenario: "+strings.Join(loadtest.Scenarios, ", "))
	flag.DurationVar(&o.Duration, "duration", 10*time.Minute, "how long the load runs")
	flag.IntVar(&o.Clients, "clients", 16, "concurrent clients")
	flag.DurationVar(&o.Interval, "interval", 0, "rows of the report (default 1m, or a quarter of a duration under 4m)")
	flag.DurationVar(&o.FaultAt, "fault-at", 0, "when the fault starts, after the load started (default a third of the duration)")
	flag.DurationVar(&o.FaultFor, "fault-for", 0, "how long the fault lasts (default a quarter of the duration, at most 30s; s3-down: 30s)")
	flag.StringVar(&o.Binary, "binary", "", "the sportello binary (default: built from this module)")
	flag.StringVar(&o.Work, "work", "", "working directory: logs, database, blobs (default a temporary one, removed)")
	flag.BoolVar(&o.Keep, "keep", false, "keep the temporary working directory")
	flag.StringVar(&out, "out", "", "write the markdown results to this file (default: standard output)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := loadtest.Run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sportello-load:", err)
		os.Exit(2)
	}
	md := res.Markdown()
	if out == "" {
		fmt.Print(md)
	} else if err := os.WriteFile(out, []byte(md), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "sportello-load:", err)
		os.Exit(2)
	}
	if !res.OK() {
		fmt.Fprintln(os.Stderr, "sportello-load: FAIL")
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "sportello-load: PASS")
}
