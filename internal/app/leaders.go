package app

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sportello/sportello/storage"
)

// The roles one replica at a time plays among those sharing a PostgreSQL database, elected by
// storage.Leader (docs/operations.md#several-replicas). Everything else runs in every replica:
// River hands each job to one of them, and the other loops are safe in several at once.
const (
	// RoleSequencer appends the transparency log's leaves and signs its checkpoints.
	RoleSequencer = "tlog-sequencer"
	// RoleJournal produces the daily journals.
	RoleJournal = "journal"
	// RoleFixity starts the scheduled fixity runs (the conservation scheduler); every replica
	// still reads the open failures for /readyz and the metrics.
	RoleFixity = "fixity"
)

// leaders are this process's elections, one per role, and the sportello_leader gauge.
type leaders struct {
	byRole map[string]*storage.Leader
	gauge  *prometheus.GaugeVec
}

// openLeaders prepares one election per role; each runs with the worker it guards.
func (m *Main) openLeaders() {
	ls := &leaders{byRole: map[string]*storage.Leader{},
		gauge: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "sportello_leader",
			Help: "1 while this replica plays the role (one replica at a time on PostgreSQL), else 0."}, []string{"role"})}
	for _, role := range []string{RoleSequencer, RoleJournal, RoleFixity} {
		l := m.DB.NewLeader(role, m.LeaderRetry)
		g := ls.gauge.WithLabelValues(role)
		g.Set(0)
		l.OnChange = func(leading bool) {
			g.Set(map[bool]float64{true: 1}[leading])
			m.Logger.Info("leader role changed", "role", role, "leading", leading)
		}
		ls.byRole[role] = l
	}
	m.leaders = ls
}

// Leading reports whether this process plays role now (tests, operators' tools).
func (m *Main) Leading(role string) bool {
	if m.leaders == nil || m.leaders.byRole[role] == nil {
		return false
	}
	return m.leaders.byRole[role].Leading()
}

// LeaderBackendPID is the PostgreSQL backend holding role's lock for this process, 0 when it
// does not lead: tests terminate it to kill a leader without stopping the process.
func (m *Main) LeaderBackendPID(role string) uint32 {
	if m.leaders == nil || m.leaders.byRole[role] == nil {
		return 0
	}
	return m.leaders.byRole[role].BackendPID()
}
