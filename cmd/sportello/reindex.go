package main

import (
	"context"
	"fmt"
	"io"

	"github.com/sportello/sportello/internal/app"
)

// reindex rebuilds the search index from the database while a running server keeps serving
// from the old one (see app.Reindex).
func reindex(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := app.Load(args, getenv)
	if err != nil {
		return err
	}
	n, err := app.Reindex(ctx, cfg)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "search index rebuilt: %d documents; a running server swaps to it within seconds\n", n)
	return err
}
