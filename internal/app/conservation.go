package app

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/sportello/sportello/conservation"
	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/jobs"
)

// conservationHeaderTimeout is how long an HTTP conservation endpoint may take to answer once
// it has the whole package: it may check the package before it answers.
const conservationHeaderTimeout = 5 * time.Minute

// checkConservation checks SPORTELLO_CONSERVATION_URL and _METHOD as far as they can be
// without the folder or the network.
func (c Config) checkConservation(allow domain.WebhookAllowList) error {
	if c.ConservationURL == "" {
		if c.ConservationMethod != "" || c.ConservationToken != "" {
			return errors.New("SPORTELLO_CONSERVATION_METHOD and _TOKEN need SPORTELLO_CONSERVATION_URL")
		}
		return nil
	}
	u, err := url.Parse(c.ConservationURL)
	if err != nil {
		return fmt.Errorf("SPORTELLO_CONSERVATION_URL: %w", err)
	}
	if u.Scheme == "file" {
		if c.ConservationMethod != "" || c.ConservationToken != "" {
			return errors.New("SPORTELLO_CONSERVATION_METHOD and _TOKEN are for an HTTP destination")
		}
		if (u.Host != "" && u.Host != "localhost") || !strings.HasPrefix(u.Path, "/") {
			return errors.New("SPORTELLO_CONSERVATION_URL: want file:///absolute/folder")
		}
		return nil // the folder must exist when the server starts (openConservation)
	}
	// An HTTP destination is checked whole: a client is not needed to check it.
	_, err = conservation.New(conservation.Config{URL: c.ConservationURL, Method: c.ConservationMethod, Allow: allow,
		Client: outboundClient(allow, 0, conservationHeaderTimeout)})
	if err != nil {
		return fmt.Errorf("SPORTELLO_CONSERVATION_URL: %w", err)
	}
	return nil
}

// conservationJobs sends archival packages to the configured destination and runs the
// conservation schedule (domain/conservation_schedule.go), both as jobs of the archive queue;
// without a destination neither does anything, and the schedule is not enqueued.
type conservationJobs struct {
	m    *Main
	dest domain.ConservationDestination
}

// openConservation opens the destination of SPORTELLO_CONSERVATION_URL and registers the
// sending and schedule workers. It runs before any River client is made: each carries the
// schedule's periodic job (newJobClient).
func (m *Main) openConservation() error {
	c := &conservationJobs{m: m}
	if cfg := m.Config; cfg.ConservationURL != "" {
		allow, err := domain.ParseWebhookAllowList(cfg.ConservationAllow)
		if err != nil {
			return fmt.Errorf("SPORTELLO_CONSERVATION_ALLOW: %w", err)
		}
		c.dest, err = conservation.New(conservation.Config{URL: cfg.ConservationURL, Method: cfg.ConservationMethod,
			Token: cfg.ConservationToken, Allow: allow, Client: outboundClient(allow, 0, conservationHeaderTimeout)})
		if err != nil {
			return fmt.Errorf("SPORTELLO_CONSERVATION_URL: %w", err)
		}
	}
	m.conservation = c
	workers := m.jobWorkers()
	if err := river.AddWorkerSafely(workers, &jobs.SendPackageWorker{Sender: c}); err != nil {
		return fmt.Errorf("conservation jobs: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &jobs.ScheduleConservationWorker{Scheduler: c}); err != nil {
		return fmt.Errorf("conservation jobs: %w", err)
	}
	return nil
}

// periodicJobs are the periodic jobs every River client of the process carries: River's leader,
// whichever client it is, enqueues them.
func (m *Main) periodicJobs() []*river.PeriodicJob {
	if m.conservation == nil || m.conservation.dest == nil {
		return nil
	}
	return []*river.PeriodicJob{jobs.ConservationPeriodic(m.ConservationEvery)}
}

// SendPackage sends one package to the destination; without one it leaves it ready.
func (c *conservationJobs) SendPackage(ctx context.Context, id string) error {
	if c.dest == nil {
		return nil
	}
	return c.m.Service.SendPackage(ctx, id, c.dest)
}

// ScheduleConservation runs the schedule once, with the sending of ready packages.
func (c *conservationJobs) ScheduleConservation(ctx context.Context) error {
	if c.dest == nil {
		return nil
	}
	res, err := c.m.Service.ScheduleConservation(ctx, true)
	if err != nil {
		return err
	}
	if res.Journals+res.Dossiers > 0 {
		c.m.Logger.Info("conservation schedule: packages requested", "journals", res.Journals, "dossiers", res.Dossiers)
	}
	for _, why := range res.Skipped {
		c.m.Logger.Warn("conservation schedule: item not packaged", "reason", why)
	}
	return nil
}

// collector is the conservation metrics, read from the database at each scrape:
// sportello_archive_packages{state} and sportello_conservation_oldest_unsent_journal_seconds.
func (c *conservationJobs) collector() prometheus.Collector { return conservationCollector{c} }

type conservationCollector struct{ c *conservationJobs }

var (
	packagesDesc = prometheus.NewDesc("sportello_archive_packages", "Archive packages by state.", []string{"state"}, nil)
	unsentDesc   = prometheus.NewDesc("sportello_conservation_oldest_unsent_journal_seconds",
		"How long ago the day of the oldest daily journal not yet sent to conservation ended (0: none).", nil, nil)
)

func (conservationCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- packagesDesc
	ch <- unsentDesc
}

func (cc conservationCollector) Collect(ch chan<- prometheus.Metric) {
	m := cc.c.m
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := m.Service.ConservationStatus(ctx)
	if err != nil {
		m.Logger.Warn("conservation metrics", "err", err)
		return
	}
	for _, state := range []string{domain.PackageBuilding, domain.PackageReady, domain.PackageFailed, domain.PackageSent,
		domain.PackageAcknowledged, domain.PackageRefused} {
		ch <- prometheus.MustNewConstMetric(packagesDesc, prometheus.GaugeValue, float64(st.States[state]), state)
	}
	ch <- prometheus.MustNewConstMetric(unsentDesc, prometheus.GaugeValue, unsentAge(st.OldestUnsentJournal, m.Service.Now(), m.Config.Location()))
}

// unsentAge is how long ago the day date ended in loc, at now; 0 for no date.
func unsentAge(date string, now time.Time, loc *time.Location) float64 {
	d, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(date), loc)
	if err != nil {
		return 0
	}
	return max(0, now.Sub(d.AddDate(0, 0, 1)).Seconds())
}
