package storage

// SetGroupHook makes every leader of a group of registrations call hook with the group's size
// before writing it (groupcommit.go). Set it before registering.
func (db *DB) SetGroupHook(hook func(size int)) { db.group.hook = hook }

// QueuedRegistrations is how many registrations wait in the queue of register's counter of year.
func (db *DB) QueuedRegistrations(register string, year int) int {
	db.group.mu.Lock()
	defer db.group.mu.Unlock()
	if q := db.group.queues[counterKey{register, year}]; q != nil {
		return len(q.waiting)
	}
	return 0
}

// SetSilent makes the leader stop (or resume) checking its lock's connection, as a leader
// whose host died or was cut off: the connection goes idle.
func (l *Leader) SetSilent(silent bool) { l.silent.Store(silent) }
