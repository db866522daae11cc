#!/usr/bin/env bash
# Runs each C test program given; a program passes when it exits 0 and its last line is exactly
# "N passed, 0 failed". Prints every program's output, then one summary line.
set -u
failed=()
for t in "$@"; do
    name=${t##*/}
    echo "--> $name"
    out=$("$t" 2>&1); rc=$?
    printf '%s\n' "$out"
    last=$(printf '%s\n' "$out" | tail -n 1)
    if [ $rc -ne 0 ]; then
        echo "    $name: exit status $rc"; failed+=("$name")
    elif ! [[ $last =~ ^[0-9]+\ passed,\ 0\ failed$ ]]; then
        echo "    $name: no closing \"N passed, 0 failed\" line"; failed+=("$name")
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "test-c: FAILED: ${failed[*]}"
    exit 1
fi
echo "test-c: all $# programs passed"
