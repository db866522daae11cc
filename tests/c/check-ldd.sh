#!/usr/bin/env bash
# A C program linked against the installed library needs only libc, libsqlite3, libcrypto and
# libtokenauth itself, plus what the statically linked Swift runtime pulls from the C/C++
# toolchain's own runtime (libstdc++, libm, libgcc_s) and the loader (ld-linux, vdso). libpq, for
# the PostgreSQL backend, is loaded with dlopen only when a postgresql:// URI is opened: it must
# not appear here.
# usage: check-ldd.sh LIBDIR PROGRAM
set -u
libdir=$1 prog=$2
out=$(LD_LIBRARY_PATH="$libdir" ldd "$prog") || { echo "check-ldd: ldd $prog failed"; exit 1; }
echo "ldd ${prog##*/}:"
printf '%s\n' "$out" | sed 's/ (0x[0-9a-f]*)//; s/^/    /'
bad=$(printf '%s\n' "$out" | awk '{print $1}' | grep -vE '^(linux-vdso\.so\.1|/lib(64)?/ld-linux[^ ]*|libc\.so\.6|libm\.so\.6|libgcc_s\.so\.1|libstdc\+\+\.so\.6|libsqlite3\.so\.0|libcrypto\.so\.3|libtokenauth\.so\.1)$')
if printf '%s\n' "$out" | grep -q 'not found'; then echo "check-ldd: unresolved libraries"; exit 1; fi
if printf '%s\n' "$out" | grep -q 'libswift'; then echo "check-ldd: the Swift runtime is not linked statically"; exit 1; fi
if [ -n "$bad" ]; then echo "check-ldd: unexpected libraries:" $bad; exit 1; fi
lib=$(printf '%s\n' "$out" | awk '$1=="libtokenauth.so.1"{print $3}')
case "$lib" in "$libdir"/*) ;; *) echo "check-ldd: libtokenauth.so.1 resolved to '$lib', not to $libdir"; exit 1;; esac
echo "check-ldd: only the expected libraries"
