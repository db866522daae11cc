#!/usr/bin/env bash
# Runs the Swift test suite (swift test) under a sanitizer, in its own scratch path.
#
#   run-swift-sanitizer.sh address|thread SCRATCH_PATH
#
# Fails when a test fails or when the sanitizer reports anything attributable to the project:
#  - address: any ASan error; a LeakSanitizer leak only when one of its frames is in the
#    project's Sources/ (XCTest leaks objects of its own at exit; those are not the library's);
#  - thread: any ThreadSanitizer warning.
set -u
sanitizer=$1 scratch=$2
log=$(mktemp "${TMPDIR:-/tmp}/swift-$sanitizer-XXXXXX.log")
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-exitcode=0}
# tsan.supp: the one false report (Synchronization.Mutex, which ThreadSanitizer cannot see).
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0:exitcode=66:suppressions=$(cd "$(dirname "$0")" && pwd)/tsan.supp}
start=$(date +%s)
swift test --scratch-path "$scratch" --sanitize="$sanitizer" >"$log" 2>&1
rc=$?
end=$(date +%s)
executed=$(grep -E "Executed [0-9]+ tests" "$log" | tail -n 1 | sed 's/^[[:space:]]*//')
swift_testing=$(grep -E "Test run with [0-9]+ tests" "$log" | tail -n 1 | sed 's/^[^T]*//')
failed=0
reason=
if [ $rc -ne 0 ]; then failed=1; reason="swift test exited with $rc"; fi
if grep -q "ERROR: AddressSanitizer" "$log"; then failed=1; reason="$reason; AddressSanitizer error"; fi
tsan=$(grep -c "WARNING: ThreadSanitizer" "$log")
if [ "$tsan" -gt 0 ]; then failed=1; reason="$reason; $tsan ThreadSanitizer warnings"; fi
# Leak blocks that name a file of the project's Sources/.
project_leaks=$(awk '/^(Direct|Indirect) leak of/ {block=$0; next}
                     block != "" && /\/Sources\// {print block; block=""}
                     /^$/ {block=""}' "$log" | sort | uniq -c)
all_leaks=$(grep -cE "^(Direct|Indirect) leak of" "$log")
if [ -n "$project_leaks" ]; then failed=1; reason="$reason; leaks in Sources/"; fi
if [ $failed -ne 0 ]; then
    grep -nE "error:|ERROR|WARNING: ThreadSanitizer|SUMMARY" "$log" | head -n 40
    [ -n "$project_leaks" ] && echo "$project_leaks"
    echo "swift test --sanitize=$sanitizer: FAILED ($reason) after $((end - start)) s; log: $log"
    exit 1
fi
echo "swift test --sanitize=$sanitizer: passed in $((end - start)) s: $executed${swift_testing:+; $swift_testing}; $tsan ThreadSanitizer warnings; $all_leaks leak reports, none from Sources/"
rm -f "$log"
