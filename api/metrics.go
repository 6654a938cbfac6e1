package api

import (
	"errors"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the API's Prometheus collectors.
type metrics struct {
	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	registrations *prometheus.CounterVec
	assignments   *prometheus.CounterVec
}

// newMetrics registers the collectors on reg. If reg already holds them (New called twice
// with one registry, as tests do) the registered ones are reused instead of panicking.
func newMetrics(reg prometheus.Registerer) *metrics {
	return &metrics{
		requests: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sportello_http_requests_total",
			Help: "HTTP requests answered, by method, route template and status.",
		}, []string{"method", "route", "status"})),
		duration: register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sportello_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by method and route template.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"})),
		registrations: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sportello_registrations_created_total",
			Help: "Registrations created through the API (replays not counted), by register.",
		}, []string{"register"})),
		assignments: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sportello_assignments_total",
			Help: "Assignment steps through the API, by kind (competenza, conoscenza) and step: created (one per assignment made), accepted, rejected, superseded (by a re-assignment).",
		}, []string{"kind", "step"})),
	}
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err)
	}
	return c
}

func (m *metrics) observe(method, route string, status int, elapsed time.Duration) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(method, route).Observe(elapsed.Seconds())
}
