#!/usr/bin/env bash
# govulncheck against a vulnerability database built here from the Go module
# golang.org/x/vulndb (the public database cannot be reached from these
# machines; see docs/reliability.md, "Security").
#
#   scripts/govulncheck.sh            build what is missing, scan, gate
#
# For every module of go.work it runs govulncheck (symbol level) and sorts
# each finding by the module it is in:
#   - third-party modules (our dependencies): any finding fails the run,
#     whether our code calls the vulnerable symbol, imports its package or
#     only has the module in its build list;
#   - the standard library: listed, never failing, since the installed Go
#     (go1.26.8) is the newest to be had here. docs/reliability.md keeps the
#     list of the last run.
#
# Pinned: the database snapshot (VULNDB_VERSION) and govulncheck
# (GOVULNCHECK_VERSION), so the result changes only when someone moves a
# pin or a dependency. Everything lands in .cache/ (git-ignored):
#   .cache/bin/{gendb,govulncheck}, .cache/vulndb (the database),
#   .cache/vulncheck/<module>.json (raw govulncheck output per module).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

VULNDB_VERSION=${VULNDB_VERSION:-v0.0.0-20261105234957-e22db6528018}
GOVULNCHECK_VERSION=${GOVULNCHECK_VERSION:-v1.9.0}
cache=$root/.cache
bin=$cache/bin
db=$cache/vulndb
out=$cache/vulncheck
GO=${GO:-go}

command -v jq >/dev/null || {
	echo "govulncheck.sh needs jq (Debian package jq)" >&2
	exit 2
}
mkdir -p "$bin" "$out"

# ---- tools -----------------------------------------------------------------
stamp() { cat "$1" 2>/dev/null || true; }
if [[ ! -x $bin/govulncheck || $(stamp "$bin/.govulncheck.version") != "$GOVULNCHECK_VERSION" ]]; then
	echo "installing govulncheck $GOVULNCHECK_VERSION" >&2
	GOWORK=off GOBIN=$bin $GO install "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION"
	echo "$GOVULNCHECK_VERSION" >"$bin/.govulncheck.version"
fi
if [[ ! -x $bin/gendb || $(stamp "$bin/.gendb.version") != "$VULNDB_VERSION" ]]; then
	echo "installing gendb from golang.org/x/vulndb@$VULNDB_VERSION" >&2
	GOWORK=off GOBIN=$bin $GO install "golang.org/x/vulndb/cmd/gendb@$VULNDB_VERSION"
	echo "$VULNDB_VERSION" >"$bin/.gendb.version"
fi

# ---- database --------------------------------------------------------------
# gendb reads data/osv/*.json from a git repository and dates each entry by
# the commits that touched it. The module zip has the files but no history,
# so they go into a one-commit repository dated at the snapshot's commit time
# (from the pseudo-version), which makes the database reproducible.
if [[ ! -f $db/index/db.json || $(stamp "$db/.version") != "$VULNDB_VERSION" ]]; then
	echo "building the vulnerability database from golang.org/x/vulndb@$VULNDB_VERSION" >&2
	src=$(GOWORK=off GOFLAGS=-mod=mod $GO mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | jq -r .Dir)
	[[ -d $src/data/osv ]] || {
		echo "golang.org/x/vulndb@$VULNDB_VERSION has no data/osv" >&2
		exit 2
	}
	ts=${VULNDB_VERSION#v0.0.0-}
	ts=${ts%%-*}
	date="${ts:0:4}-${ts:4:2}-${ts:6:2}T${ts:8:2}:${ts:10:2}:${ts:12:2}Z"
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	mkdir -p "$work/repo/data"
	cp -r "$src/data/osv" "$work/repo/data/"
	chmod -R u+w "$work/repo"
	(
		cd "$work/repo"
		git init -q
		git add -A
		GIT_AUTHOR_DATE=$date GIT_COMMITTER_DATE=$date \
			git -c user.name=vulndb -c user.email=vulndb@localhost -c commit.gpgsign=false commit -q -m "vulndb $VULNDB_VERSION"
	)
	rm -rf "$db.new"
	"$bin/gendb" -repo "$work/repo" -out "$db.new" 2>&1 | grep -v '^.*INFO' >&2 || true
	[[ -f $db.new/index/db.json ]] || {
		echo "gendb wrote no database" >&2
		exit 2
	}
	echo "$VULNDB_VERSION" >"$db.new/.version"
	rm -rf "$db"
	mv "$db.new" "$db"
fi
echo "database: golang.org/x/vulndb@$VULNDB_VERSION, $(jq -r .modified "$db/index/db.json"), $(find "$db/ID" -name '*.json' | wc -l) entries" >&2

# ---- scan ------------------------------------------------------------------
# A finding's trace starts at the vulnerable symbol; its level is how far
# govulncheck followed it into our code.
summary='
  select(.finding) | .finding as $f | $f.trace[0] as $v |
  [ $f.osv,
    $v.module,
    $v.version,
    ($f.fixed_version // "none"),
    (if $v.function then "called" elif $v.package then "imported" else "required" end),
    ($v.package // "-")
  ] | @tsv'
fail=0
stdrows=$out/stdlib.tsv
: >"$stdrows"
mapfile -t modules < <($GO work edit -json | jq -r '.Use[].DiskPath')
for m in "${modules[@]}"; do
	name=${m#./}
	file=$out/${name//\//_}.json
	if ! (cd "$m" && "$bin/govulncheck" -db "file://$db" -format json ./... >"$file"); then
		echo "govulncheck failed in $name; see $file" >&2
		exit 2
	fi
	third=$(jq -r "$summary" "$file" | awk -F'\t' '$2 != "stdlib"' | sort -u)
	if [[ -n $third ]]; then
		fail=1
		echo "FAIL $name: vulnerabilities in third-party dependencies:"
		printf '%s\n' "$third" | awk -F'\t' '{printf "  %s  %s@%s (fixed in %s)  %s  %s\n", $1, $2, $3, $4, $5, $6}'
	else
		echo "ok   $name: no vulnerability in third-party dependencies"
	fi
	jq -r "$summary" "$file" | awk -F'\t' '$2 == "stdlib"' >>"$stdrows"
done

if [[ -s $stdrows ]]; then
	echo
	echo "Standard library ($($GO env GOVERSION)): listed, not failing, since no newer Go can be had here."
	echo "Level: called = our code reaches the vulnerable symbol; imported = only its package; required = neither."
	# One line per vulnerability: its deepest level over all modules and the
	# packages it is in.
	sort -u "$stdrows" | awk -F'\t' '
		BEGIN { rank["required"] = 1; rank["imported"] = 2; rank["called"] = 3 }
		{
			if (!($1 in level) || rank[$5] > rank[level[$1]]) level[$1] = $5
			fixed[$1] = $4
			if ($6 != "-" && index(" " pkgs[$1] " ", " " $6 " ") == 0) pkgs[$1] = (pkgs[$1] == "" ? $6 : pkgs[$1] " " $6)
		}
		END { for (id in level) printf "%s\t%s\t%s\t%s\n", id, fixed[id], level[id], pkgs[id] }' |
		sort | while IFS=$'\t' read -r id fixed level pkgs; do
		text=$(jq -r --arg id "$id" 'select(.osv and .osv.id == $id) | .osv.summary' "$out"/*.json | head -1)
		printf '  %s  fixed in %-8s  %-8s  %-28s  %s\n' "$id" "$fixed" "$level" "${pkgs:--}" "$text"
	done
fi
if ((fail)); then
	echo
	echo "govulncheck: vulnerabilities in third-party dependencies (see above); upgrade them" >&2
	exit 1
fi
echo
echo "govulncheck: no vulnerability in third-party dependencies"
