//go:build !unix

package search

import "time"

// processCPU is not measured outside Unix; BenchmarkIndex then reports wall time only.
func processCPU() time.Duration { return 0 }
