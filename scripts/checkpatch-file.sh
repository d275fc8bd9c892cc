#!/usr/bin/env bash
# checkpatch one kernel file: fails on any ERROR, shows warnings.
#   checkpatch-file.sh CHECKPATCH FILE
set -uo pipefail
cp=$1 f=$2
[ -f "$cp" ] || { echo "checkpatch.pl not found at $cp (run scripts/deps.sh)"; exit 1; }
out=$(perl "$cp" --no-tree --terse --show-types -f "$f" 2>&1)
echo "$out"
! grep -q ': ERROR:' <<<"$out"
