#!/usr/bin/env bash
# Prints the names of the functions a C header declares (ta_*), one per line, sorted. The
# preprocessor removes comments first, so a name mentioned in a comment does not count.
# usage: header-functions.sh HEADER [CC]
set -euo pipefail
header=$1 cc=${2:-cc}
"$cc" -E -P -x c "$header" | grep -oE '\bta_[a-z0-9_]+[[:blank:]]*\(' | tr -d ' \t(' | sort -u
