#!/usr/bin/env bash
# The shipped library's binary interface (run by `make test-abi-symbols`, which sets the inputs):
#  - no Swift runtime needed at run time (ldd lists no libswift*);
#  - `nm -D --defined-only` lists exactly the functions the header declares, each under the version
#    node, and nothing else but the node itself (no $s Swift symbols, no sqlite3_*, no OpenSSL);
#  - DT_SONAME is libtokenauth.so.MAJOR;
#  - ta_version() == TA_VERSION_STRING == the pkg-config version == the Makefile's version.
set -u
: "${LIBRARY:?}" "${HEADER_FUNCTIONS:?}" "${VERSION:?}" "${SONAME:?}" "${VERSION_NODE:?}"
fails=0
ok()   { echo "  ok   $*"; }
fail() { echo "  FAIL $*"; fails=$((fails + 1)); }

echo "test-abi-symbols: $LIBRARY"

deps=$(ldd "$LIBRARY")
if grep -q libswift <<<"$deps"; then fail "ldd lists the Swift runtime:"; grep libswift <<<"$deps"; else ok "ldd: no libswift*"; fi
echo "       needs:" $(awk '{print $1}' <<<"$deps" | sort)

syms=$(nm -D --defined-only "$LIBRARY" | awk '{print $3}')
# binutils >= 2.35 prints the version after the name (ta_open@@TOKENAUTH_1); older ones do not.
names=$(sed 's/@.*//' <<<"$syms" | sort -u)
want=$(tr ' ' '\n' <<<"$HEADER_FUNCTIONS" | sed '/^$/d' | sort -u)
extra=$(comm -13 <(echo "$want") <(echo "$names") | grep -vx "$VERSION_NODE")
missing=$(comm -23 <(echo "$want") <(echo "$names"))
if [ -z "$extra" ]; then
    ok "the dynamic symbol table holds nothing the header does not declare"
else
    fail "in the dynamic symbol table but not in the header:" $(head -20 <<<"$extra")
    # Lower-case nm types are LOCAL entries (not bindable, but still listed): the GNU gold linker
    # leaves some Swift metadata there; linking with lld (-use-ld=lld) does not.
    nm -D --defined-only "$LIBRARY" | grep -v ' [TA] ' | head -5 | sed 's/^/         /'
fi
if [ -z "$missing" ]; then ok "exports all $(wc -l <<<"$want") header functions"; else fail "declared in the header but not exported:" $missing; fi
# The version definition itself (gold also lists it as an absolute symbol; lld does not).
if readelf -V "$LIBRARY" | sed -n '/Version definition section/,/^$/p' | grep -q "Name: $VERSION_NODE\b"; then
    ok "version node $VERSION_NODE defined"
else
    fail "no version definition $VERSION_NODE"
fi
if grep -q '@' <<<"$syms"; then
    wrong=$(grep "^ta_" <<<"$syms" | grep -v "@@$VERSION_NODE\$")
    if [ -z "$wrong" ]; then ok "every function is versioned @@$VERSION_NODE"; else fail "symbols with another version:" $wrong; fi
fi
if [ -n "${VERSION_SCRIPT:-}" ] && ! grep -q "^$VERSION_NODE\b" "$VERSION_SCRIPT"; then fail "$VERSION_SCRIPT does not define $VERSION_NODE"; fi

soname=$(readelf -d "$LIBRARY" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
if [ "$soname" = "$SONAME" ]; then ok "SONAME $soname"; else fail "SONAME is '$soname', expected $SONAME"; fi

run_version=$(sed -n 1p <<<"${RUN_VERSION:-}")
header_version=$(sed -n 2p <<<"${RUN_VERSION:-}")
if [ "$run_version" = "$VERSION" ] && [ "$header_version" = "$VERSION" ] && [ "${PKG_VERSION:-}" = "$VERSION" ]; then
    ok "version $VERSION: ta_version() = TA_VERSION_STRING = tokenauth.pc = TA_VERSION_MAJOR.MINOR.PATCH"
else
    fail "versions differ: ta_version()='$run_version' TA_VERSION_STRING='$header_version' tokenauth.pc='${PKG_VERSION:-}' header macros='$VERSION'"
fi

if [ $fails -ne 0 ]; then echo "test-abi-symbols: $fails check(s) failed"; exit 1; fi
echo "test-abi-symbols: passed"
