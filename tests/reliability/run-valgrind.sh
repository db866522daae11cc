#!/usr/bin/env bash
# Runs a program under valgrind and prints one summary line.
#
#   run-valgrind.sh [--memcheck-only] VALGRIND-COMMAND... -- PROGRAM [ARGS...]
#
# Fails when memcheck reports an error (invalid access, uninitialised value, ...) or a block
# "definitely lost" (the VALGRIND-COMMAND passes --errors-for-leak-kinds=definite and
# --error-exitcode=86), and, unless --memcheck-only (for other teams' test programs, whose own
# checks their own target judges), when the program fails. The full log stays in $TMPDIR then.
set -u
memcheck_only=0
if [ "${1:-}" = "--memcheck-only" ]; then memcheck_only=1; shift; fi
vg=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do vg+=("$1"); shift; done
shift
prog=$1
name=$(basename "$prog")
log=$(mktemp "${TMPDIR:-/tmp}/valgrind-$name-XXXXXX.log")
start=$(date +%s)
"${vg[@]}" --log-file="$log" "$@" >"$log.out" 2>&1
rc=$?
end=$(date +%s)
summary=$(grep -E "ERROR SUMMARY" "$log" | tail -n 1 | sed 's/^==[0-9]*== //')
definite=$(grep -E "definitely lost:" "$log" | tail -n 1 | sed 's/^==[0-9]*== *//')
possibly=$(grep -E "possibly lost:" "$log" | tail -n 1 | sed 's/^==[0-9]*== *//')
[ -z "$definite" ] && definite="definitely lost: 0 bytes in 0 blocks"
tail -n 1 "$log.out"
if [ $rc -ne 0 ] && [ $memcheck_only -eq 1 ] && [ $rc -ne 86 ]; then
    echo "valgrind $name: memcheck clean in $((end - start)) s: $summary; $definite; $possibly (the program itself exited $rc: its own checks, judged by its own target)"
    rm -f "$log" "$log.out"
    exit 0
fi
if [ $rc -ne 0 ]; then
    echo "--- $log (last 80 lines):"
    tail -n 80 "$log"
    echo "--- program output:"
    tail -n 20 "$log.out"
    echo "valgrind $name: FAILED (exit $rc) in $((end - start)) s: $summary; $definite"
    exit 1
fi
echo "valgrind $name: passed in $((end - start)) s: $summary; $definite; $possibly"
rm -f "$log" "$log.out"
