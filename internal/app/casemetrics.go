package app

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// overdueDesc is the gauge of the cases open past their deadline, per procedure (L. 190/2012
// art. 1 c. 28 asks administrations to monitor procedural times; this is the live view).
var overdueDesc = prometheus.NewDesc("sportello_cases_overdue",
	"Cases open today past their deadline and not awaiting the applicant, per procedure.", []string{"procedure"}, nil)

// overdueCollector reads the overdue cases from the database at each scrape: a gauge kept in
// memory would be one process's view, and every replica must report the same figures.
type overdueCollector struct{ m *Main }

// Describe sends the gauge's description.
func (c overdueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- overdueDesc }

// Collect sends one sample per procedure with overdue cases; a failed read is logged and
// sends none, so that the scrape still answers.
func (c overdueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	counts, err := c.m.Service.OverdueCases(ctx)
	if err != nil {
		c.m.Logger.Warn("metrics: overdue cases", "err", err)
		return
	}
	for procedure, n := range counts {
		ch <- prometheus.MustNewConstMetric(overdueDesc, prometheus.GaugeValue, float64(n), procedure)
	}
}
