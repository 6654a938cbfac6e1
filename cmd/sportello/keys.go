package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/app"
)

const keysUsage = "usage: sportello keys create --name NAME --role ROLE | keys list | keys revoke KEY_ID"

// list is a repeatable string flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

// keys runs `sportello keys create|list|revoke`, beside a running server or without one.
func keys(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(keysUsage)
	}
	switch args[0] {
	case "create":
		return createKey(ctx, args[1:], getenv, stdout)
	case "list":
		return listKeys(ctx, args[1:], getenv, stdout)
	case "revoke":
		return revokeKey(ctx, args[1:], getenv, stdout)
	}
	return errors.New(keysUsage)
}

// openKeys parses the configuration flags of a keys command (and its own, added by flags),
// then opens storage. The caller closes the Main.
func openKeys(ctx context.Context, name string, args []string, getenv func(string) string,
	flags func(*flag.FlagSet)) (*app.Main, *flag.FlagSet, error) {
	var cfg app.Config
	fs := flag.NewFlagSet("sportello keys "+name, flag.ContinueOnError)
	if err := cfg.Flags(fs, getenv); err != nil {
		return nil, nil, err
	}
	if flags != nil {
		flags(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	m := app.New(cfg, cfg.Logger())
	if err := m.Open(ctx); err != nil {
		return nil, nil, errors.Join(err, m.Close())
	}
	return m, fs, nil
}

// createKey issues a client with its key from the command line, e.g. to recover admin access.
func createKey(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	var name, expires string
	var roles, offices list
	m, _, err := openKeys(ctx, "create", args, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&name, "name", "", "client name")
		fs.Var(&roles, "role", "role (repeatable): "+fmt.Sprint(domain.Roles))
		fs.Var(&offices, "office", "office code (repeatable)")
		fs.StringVar(&expires, "expires-at", "", "when the key expires (RFC 3339); never when empty")
	})
	if err != nil {
		return err
	}
	defer m.Close()
	in := domain.NewClient{Name: name, Offices: offices}
	for _, r := range roles {
		in.Roles = append(in.Roles, domain.Role(r))
	}
	if expires != "" {
		t, err := time.Parse(time.RFC3339, expires)
		if err != nil {
			return fmt.Errorf("--expires-at: %w", err)
		}
		in.ExpiresAt = &t
	}
	c, err := m.Service.CreateKey(ctx, in)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "client %s (%s) roles %v\n%s\n", c.ID, c.Name, c.Roles, c.Token)
	return err
}

// listKeys prints every client and its keys: ids, states and dates, never a secret.
func listKeys(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	m, _, err := openKeys(ctx, "list", args, getenv, nil)
	if err != nil {
		return err
	}
	defer m.Close()
	clients, err := m.Service.AllClients(ctx)
	if err != nil {
		return err
	}
	now := m.Service.Now()
	for _, c := range clients {
		if _, err := fmt.Fprintf(stdout, "client %s (%s) roles %v offices %v\n", c.ID, c.Name, c.Roles, c.Offices); err != nil {
			return err
		}
		for _, k := range c.Keys {
			_, err := fmt.Fprintf(stdout, "  key %s %s created %s expires %s revoked %s last used %s\n", k.ID, k.StateAt(now),
				k.CreatedAt.Format(time.RFC3339), orDash(k.ExpiresAt), orDash(k.RevokedAt), orDash(k.LastUsedAt))
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// revokeKey revokes one key by id; `sportello keys revoke KEY_ID` takes the id before or after
// the configuration flags.
func revokeKey(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	var id string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	m, fs, err := openKeys(ctx, "revoke", args, getenv, nil)
	if err != nil {
		return err
	}
	defer m.Close()
	if id == "" && fs.NArg() == 1 {
		id = fs.Arg(0)
	} else if id == "" || fs.NArg() != 0 {
		return errors.New("usage: sportello keys revoke KEY_ID")
	}
	k, err := m.Service.RevokeKeyByID(ctx, id)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "key %s of client %s revoked at %s\n", k.ID, k.ClientID, k.RevokedAt.Format(time.RFC3339))
	return err
}

func orDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
