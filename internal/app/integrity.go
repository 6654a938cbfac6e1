package app

import (
	"context"
	"crypto"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/sportello/sportello/signing"
	"github.com/sportello/sportello/signing/tlog"
	"github.com/sportello/sportello/storage"
)

// sequencerTick is how often the log sequencer looks for new change events when idle.
const sequencerTick = 200 * time.Millisecond

// integrity holds the sealing identity, the time-stamping authority and the transparency log.
type integrity struct {
	Identity  *signing.Identity
	TSA       tlog.Timestamper
	TSAName   string
	Log       *tlog.Log
	Sequencer *tlog.Sequencer

	stop func()
	done sync.WaitGroup
}

// openIntegrity loads (or, on first start, creates under <data>/keys) the sealing identity and
// the built-in TSA, or uses the configured ones, and prepares the log sequencer.
func (m *Main) openIntegrity() error {
	cfg := m.Config
	keys := cfg.KeysDir()
	var (
		id  *signing.Identity
		err error
	)
	if cfg.SigningP12 != "" || cfg.SigningKey != "" {
		id, err = signing.LoadIdentity(signing.IdentityConfig{PKCS12File: cfg.SigningP12, PKCS12Password: cfg.SigningP12Pass,
			KeyFile: cfg.SigningKey, CertFile: cfg.SigningCert})
	} else {
		id, err = signing.LoadOrCreateSelfSigned(filepath.Join(keys, "seal"))
	}
	if err != nil {
		return fmt.Errorf("sealing identity: %w", err)
	}
	in := &integrity{Identity: id}
	if cfg.TSAURL != "" {
		in.TSA, in.TSAName = &signing.TSAClient{URL: cfg.TSAURL}, cfg.TSAURL
	} else {
		tsa, err := signing.LoadOrCreateBuiltinTSA(filepath.Join(keys, "tsa"))
		if err != nil {
			return fmt.Errorf("time-stamping authority: %w", err)
		}
		in.TSA, in.TSAName = tsa, "built-in"
	}
	aoo, err := m.Service.AOO(context.Background())
	if err != nil {
		return err
	}
	in.Log = m.auditLog()
	in.Sequencer = &tlog.Sequencer{
		Feed: m.DB, Store: m.DB, Registrations: m.DB, Packages: m.DB,
		Origin: "sportello/" + aoo.IPACode + "-" + aoo.Code, Signer: crypto.Signer(id.Signer), Timestamper: in.TSA,
		CheckpointInterval: cfg.CheckpointEvery, Logger: m.Logger,
	}
	if cfg.AuditAnchor {
		in.Sequencer.AuditHeads = m.DB
	}
	m.integrity = in
	if id.SelfSigned {
		m.Logger.Warn("sealing with a self-signed certificate: documents verify, but prove no identity",
			"fingerprint", id.Fingerprint())
	}
	return nil
}

// start runs the sequencer in the background, while this process leads RoleSequencer, until
// stopBackground.
func (in *integrity) start(leader *storage.Leader) {
	ctx, cancel := context.WithCancel(context.Background())
	in.stop = cancel
	in.done.Go(func() {
		leader.Run(ctx, func(ctx context.Context) { in.Sequencer.Run(ctx, sequencerTick) })
	})
}

// stopBackground stops the sequencer and waits for its current step to finish.
func (in *integrity) stopBackground() {
	if in != nil && in.stop != nil {
		in.stop()
		in.done.Wait()
	}
}
