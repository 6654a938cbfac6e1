package app

import (
	"runtime/debug"
	"testing"
)

// TestVersionOf: `sportello version` and /v1/info name the build Go recorded — release,
// commit, its time, uncommitted changes — and say "dev" only when nothing was recorded.
func TestVersionOf(t *testing.T) {
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "fe816e17a8f5b69684750c5df112e605a40015d5"},
			{Key: "vcs.time", Value: "2026-12-06T10:55:23Z"}, {Key: "vcs.modified", Value: modified}}
	}
	for _, tc := range []struct {
		name     string
		version  string
		settings []debug.BuildSetting
		want     string
	}{
		{"Installed", "v1.4.0", nil, "v1.4.0"},
		{"BuiltInAClone", "v0.0.0-20261206105523-fe816e17a8f5", vcs("false"),
			"v0.0.0-20261206105523-fe816e17a8f5 (commit fe816e17a8f5b69684750c5df112e605a40015d5, 2026-12-06T10:55:23Z)"},
		{"UncommittedChanges", "v0.0.0-20261206105523-fe816e17a8f5+dirty", vcs("true"),
			"v0.0.0-20261206105523-fe816e17a8f5+dirty (commit fe816e17a8f5b69684750c5df112e605a40015d5, 2026-12-06T10:55:23Z, with uncommitted changes)"},
		{"CommitWithoutVersion", "(devel)", vcs("false"),
			"devel (commit fe816e17a8f5b69684750c5df112e605a40015d5, 2026-12-06T10:55:23Z)"},
		{"NothingRecorded", "(devel)", nil, "dev"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/sportello/sportello", Version: tc.version}, Settings: tc.settings}
			if got := versionOf(bi); got != tc.want {
				t.Errorf("version %q, want %q", got, tc.want)
			}
		})
	}
}
