#!/usr/bin/env bash
# checkpatch one kernel file: fails on any ERROR, shows warnings.
#   checkpatch-file.sh CHECKPATCH FILE
#
# A checkpatch that did not finish fails too. Its verdict is read from the
# "total: N errors, N warnings, N lines checked" line that ends every
# complete run, and the exit status must be the one checkpatch gives for that
# verdict (0 when clean, 1 with reports): perl dying, a missing data file or
# a cut-off run fail whatever they printed.
set -uo pipefail
cp=$1 f=$2
[ -f "$cp" ] || { echo "checkpatch.pl not found at $cp (run scripts/deps.sh)"; exit 1; }
out=$(perl "$cp" --no-tree --show-types -f "$f" 2>&1)
rc=$?
total=$(grep -E '^total: [0-9]+ errors, [0-9]+ warnings, [0-9]+ lines checked$' <<<"$out" | tail -n 1)
if [ -z "$total" ]; then
	echo "$out"
	echo "checkpatch did not finish on $f (exit status $rc, no total line)"
	exit 1
fi
read -r _ errors _ warnings _ <<<"$total"
want=0
[ $((errors + warnings)) -gt 0 ] && want=1
if [ "$rc" != "$want" ]; then
	echo "$out"
	echo "checkpatch exited with status $rc on $f, expected $want for: $total"
	exit 1
fi
# Reports one per line, as --terse gives them, then the total.
[ "$rc" = 0 ] || awk -v f="$f" '
	/^(ERROR|WARNING|CHECK):/ { msg = $0; where = f ": "; next }
	msg != "" && /^#[0-9]+: FILE: / { where = $3 " " }
	msg != "" { print where msg; msg = "" }' <<<"$out"
echo "$total"
[ "$errors" = 0 ]
