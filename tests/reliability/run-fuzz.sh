#!/usr/bin/env bash
# Runs one libFuzzer target for a fixed time and prints one summary line.
#
#   run-fuzz.sh BINARY SEED_CORPUS WORK_CORPUS ARTIFACT_DIR SECONDS [libFuzzer options...]
#
# The fuzzer reads the seed corpus (fuzz/corpus/<target>, in the repository, never written) and
# the work corpus (under build/, where it saves the inputs that found new coverage, so that longer
# runs build on earlier ones). A crash, leak, timeout or invariant violation leaves the input in
# ARTIFACT_DIR and fails with the command that reproduces it. Summary: executions, exec/s,
# coverage, corpus size.
set -u
bin=$1 seeds=$2 work=$3 artifacts=$4 seconds=$5
shift 5
name=$(basename "$bin")
mkdir -p "$work" "$artifacts"
log="$artifacts/$name.log"
# The Swift runtime's own crash backtracer would hold a crashing fuzzer for up to 30 s; libFuzzer
# and ASan print the stack themselves.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:symbolize=1:detect_leaks=1}
start=$(date +%s)
"$bin" "$work" "$seeds" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$artifacts/$name-" -timeout=25 -rss_limit_mb=4096 "$@" >"$log" 2>&1
rc=$?
end=$(date +%s)
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
cov=$(grep -aoE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -n 1)
if [ $rc -ne 0 ]; then
    echo "--- last lines of $log:"
    tail -n 60 "$log"
    artifact=$(grep -aoE "Test unit written to [^ ]+" "$log" | tail -n 1 | sed 's/Test unit written to //')
    echo "$name: FAILED (exit $rc) after $((end - start)) s, ${runs:-?} executions"
    [ -n "$artifact" ] && echo "    reproduce: SWIFT_BACKTRACE=enable=no $bin $artifact"
    exit 1
fi
echo "$name: ${runs:-?} executions in $((end - start)) s (${speed:-?} exec/s), ${cov:-no coverage line}, no findings"
