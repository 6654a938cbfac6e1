#!/usr/bin/env bash
# bench-audit.sh — registration throughput on PostgreSQL of two builds, alternated (issue 17,
# docs/benchmarks.md "Audit chain").
#
# Builds the storage test binary of each commit once (git archive into a temporary directory,
# go test -c) and then runs BenchmarkCreateRegistration/postgres of the two in turn, ROUNDS
# times, each run short (BENCHTIME) and the order swapped every round, so that the load of a
# shared machine falls on both alike. Prints each round's registrations/s, the medians, and
# the median of the per-round ratios head/base (the figure to compare with 0.90).
#
#	SPORTELLO_TEST_DATABASE_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' \
#	  scripts/bench-audit.sh [BASE [HEAD]]
#
# BASE defaults to the first parent of "Merge i17-audit" (the commit before the audit chain),
# HEAD to HEAD. Environment: ROUNDS (16), BENCHTIME (500x), BENCH (CreateRegistration/postgres),
# PKG (./storage), KEEP=1 keeps the temporary directory.
set -euo pipefail

: "${SPORTELLO_TEST_DATABASE_URL:?set SPORTELLO_TEST_DATABASE_URL to a PostgreSQL server}"
export SPORTELLO_TEST_DATABASE_URL
ROUNDS=${ROUNDS:-16}
BENCHTIME=${BENCHTIME:-500x}
BENCH=${BENCH:-CreateRegistration/postgres}
PKG=${PKG:-./storage}

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
	(cd "$tmp/$1" && go test -c -o "$tmp/$1.test" "$PKG")
}
echo "base $base, head $head; $ROUNDS rounds of -test.bench '$BENCH' -test.benchtime $BENCHTIME"
build base "$base"
build head "$head"

run() { # name → registrations/s
	(cd "$tmp/$1/$PKG" && "$tmp/$1.test" -test.run '^$' -test.bench "$BENCH" -test.benchtime "$BENCHTIME" -test.count 1) |
		awk '{ for (i = 2; i <= NF; i++) if ($i == "registrations/s" && v == "") v = $(i - 1) } END { print v }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf '%-6s %10s %10s %7s\n' round base head ratio
: >"$tmp/base.txt"
: >"$tmp/head.txt"
: >"$tmp/ratio.txt"
for r in $(seq 1 "$ROUNDS"); do
	if [ $((r % 2)) = 1 ]; then
		b=$(run base)
		h=$(run head)
	else
		h=$(run head)
		b=$(run base)
	fi
	[ -n "$b" ] && [ -n "$h" ] || { echo "bench-audit: round $r printed no figure" >&2; exit 1; }
	ratio=$(awk -v b="$b" -v h="$h" 'BEGIN { printf "%.3f", h / b }')
	echo "$b" >>"$tmp/base.txt"
	echo "$h" >>"$tmp/head.txt"
	echo "$ratio" >>"$tmp/ratio.txt"
	printf '%-6s %10s %10s %7s\n' "$r" "$b" "$h" "$ratio"
done
mb=$(median <"$tmp/base.txt")
mh=$(median <"$tmp/head.txt")
printf '%-6s %10s %10s %7s\n' median "$mb" "$mh" "$(median <"$tmp/ratio.txt")"
echo "ratio of the medians head/base: $(awk -v b="$mb" -v h="$mh" 'BEGIN { printf "%.3f", h / b }')"
