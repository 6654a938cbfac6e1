package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/app"
)

// list is a repeatable string flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

// createKey issues a client with its key from the command line, e.g. to recover admin access.
func createKey(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	var cfg app.Config
	fs := flag.NewFlagSet("sportello keys create", flag.ContinueOnError)
	if err := cfg.Flags(fs, getenv); err != nil {
		return err
	}
	var name string
	var roles, offices list
	fs.StringVar(&name, "name", "", "client name")
	fs.Var(&roles, "role", "role (repeatable): "+fmt.Sprint(domain.Roles))
	fs.Var(&offices, "office", "office code (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	m := app.New(cfg, cfg.Logger())
	defer m.Close()
	if err := m.Open(ctx); err != nil {
		return err
	}
	in := domain.NewClient{Name: name, Offices: offices}
	for _, r := range roles {
		in.Roles = append(in.Roles, domain.Role(r))
	}
	c, err := m.Service.CreateKey(ctx, in)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "client %s (%s) roles %v\n%s\n", c.ID, c.Name, c.Roles, c.Token)
	return err
}
