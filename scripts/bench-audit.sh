#!/usr/bin/env bash
# bench-audit.sh — registration throughput on PostgreSQL of two builds, alternated (issue 17,
# docs/benchmarks.md "Audit chain").
#
# Builds the storage test binary of each commit once (git archive into a temporary directory,
# go test -c; both with HEAD's storage/bench_test.go, so that they measure alike) and then runs
# BenchmarkCreateRegistration/postgres of the two in turn, ROUNDS times, each run short
# (BENCHTIME) and the order swapped every round, so that the load of a shared machine falls on
# both alike. Prints for each round and build the registrations/s and the CPU time of a
# registration (the benchmark process's and PostgreSQL's backends', in µs), then the medians and
# the median of the per-round ratios head/base of the rate (the figure to compare with 0.90)
# and base/head of the CPU (what the rate's ratio is when the CPU is the bound).
#
#	SPORTELLO_TEST_DATABASE_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' \
#	  scripts/bench-audit.sh [BASE [HEAD]]
#
# BASE defaults to the first parent of "Merge i17-audit" (the commit before the audit chain),
# HEAD to HEAD. Environment: ROUNDS (16), BENCHTIME (500x), BENCH (CreateRegistration/postgres),
# KEEP=1 keeps the temporary directory.
set -euo pipefail

: "${SPORTELLO_TEST_DATABASE_URL:?set SPORTELLO_TEST_DATABASE_URL to a PostgreSQL server}"
export SPORTELLO_TEST_DATABASE_URL
ROUNDS=${ROUNDS:-16}
BENCHTIME=${BENCHTIME:-500x}
BENCH=${BENCH:-CreateRegistration/postgres}

cd "$(git rev-parse --show-toplevel)"
if [ $# -ge 1 ]; then
	base=$1
else
	merge=$(git log --merges --format='%H %s' | awk '$2 == "Merge" && $3 == "i17-audit:" && !found { print $1; found = 1 }')
	[ -n "$merge" ] || { echo "bench-audit: no \"Merge i17-audit\" commit; give BASE" >&2; exit 2; }
	base=$merge^1
fi
head=${2:-HEAD}
base=$(git rev-parse --verify "$base^{commit}")
head=$(git rev-parse --verify "$head^{commit}")

tmp=$(mktemp -d)
if [ "${KEEP:-}" != 1 ]; then
	trap 'rm -rf "$tmp"' EXIT
fi

build() { # name commit
	mkdir -p "$tmp/$1"
	git archive "$2" | tar -x -C "$tmp/$1"
	git show "$head:storage/bench_test.go" >"$tmp/$1/storage/bench_test.go"
	(cd "$tmp/$1" && go test -c -o "$tmp/$1.test" ./storage)
}
echo "base $base, head $head; $ROUNDS rounds of -test.bench '$BENCH' -test.benchtime $BENCHTIME"
build base "$base"
build head "$head"

run() { # name → "registrations/s go-cpu-µs/reg pg-cpu-µs/reg"
	(cd "$tmp/$1/storage" && "$tmp/$1.test" -test.run '^$' -test.bench "$BENCH" -test.benchtime "$BENCHTIME" -test.count 1) |
		awk '/^Benchmark/ && !done {
			for (i = 2; i <= NF; i++) {
				if ($i == "registrations/s") r = $(i - 1)
				if ($i == "go-cpu-µs/reg") g = $(i - 1)
				if ($i == "pg-cpu-µs/reg") p = $(i - 1)
			}
			done = 1
		} END { if (r != "") print r, (g == "" ? "-" : g), (p == "" ? "-" : p) }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf '%-6s | %9s %9s %6s | %8s %8s %8s %8s %6s\n' round 'base r/s' 'head r/s' ratio 'base go' 'head go' 'base pg' 'head pg' 'cpu'
for f in rate.base rate.head ratio go.base go.head pg.base pg.head cpu; do : >"$tmp/$f"; done
for r in $(seq 1 "$ROUNDS"); do
	if [ $((r % 2)) = 1 ]; then
		b=$(run base)
		h=$(run head)
	else
		h=$(run head)
		b=$(run base)
	fi
	[ -n "$b" ] && [ -n "$h" ] || { echo "bench-audit: round $r printed no figure" >&2; exit 1; }
	read -r br bg bp <<<"$b"
	read -r hr hg hp <<<"$h"
	ratio=$(awk -v b="$br" -v h="$hr" 'BEGIN { printf "%.3f", h / b }')
	cpu=$(awk -v bg="$bg" -v bp="$bp" -v hg="$hg" -v hp="$hp" 'BEGIN { if (bp == "-" || hp == "-") print "-"; else printf "%.3f", (bg + bp) / (hg + hp) }')
	echo "$br" >>"$tmp/rate.base"
	echo "$hr" >>"$tmp/rate.head"
	echo "$ratio" >>"$tmp/ratio"
	echo "$bg" >>"$tmp/go.base"
	echo "$hg" >>"$tmp/go.head"
	echo "$bp" >>"$tmp/pg.base"
	echo "$hp" >>"$tmp/pg.head"
	echo "$cpu" >>"$tmp/cpu"
	printf '%-6s | %9s %9s %6s | %8s %8s %8s %8s %6s\n' "$r" "$br" "$hr" "$ratio" "$bg" "$hg" "$bp" "$hp" "$cpu"
done
m() { median <"$tmp/$1"; }
printf '%-6s | %9s %9s %6s | %8s %8s %8s %8s %6s\n' median "$(m rate.base)" "$(m rate.head)" "$(m ratio)" \
	"$(m go.base)" "$(m go.head)" "$(m pg.base)" "$(m pg.head)" "$(m cpu)"
echo "ratio of the median rates head/base: $(awk -v b="$(m rate.base)" -v h="$(m rate.head)" 'BEGIN { printf "%.3f", h / b }')"
echo "(r/s: registrations a second; go, pg: CPU µs a registration of the benchmark process and of PostgreSQL's"
echo " backends; cpu: base CPU / head CPU, go + pg, each round)"
