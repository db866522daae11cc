#!/usr/bin/env bash
# The gateway scenario: members and tokens set up with tokenctl, the gateway started on a free
# loopback port, curl requests showing 200, 401 (no header, not a token, unknown, expired,
# revoked), 403 (missing scope, deactivated, downgraded owner, owner deactivated) and 429, then the
# gateway stopped and the usage it recorded read back.
#
#   scenario.sh demo BINDIR    prints the table (exits non-zero if a row is not as expected)
#   scenario.sh test BINDIR    the same with every check counted: "N passed, N failed"
#
# BINDIR holds the built `gateway` and `tokenctl`. Secrets are never printed whole: the table shows
# each token's public hint (its first 9 characters). The reason column is the ta_status the gateway
# logged for the request, so 401 "expired" and 401 "revoked" are told apart.
set -uo pipefail

mode=${1:-}
bin=${2:-}
case "$mode" in demo | test) ;; *) echo "usage: $0 demo|test BINDIR" >&2; exit 2 ;; esac
[ -x "$bin/gateway" ] && [ -x "$bin/tokenctl" ] || { echo "$0: no gateway/tokenctl in $bin" >&2; exit 2; }
command -v curl >/dev/null || { echo "$0: curl is needed (apt-get install curl)" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/tokenauth-gateway.XXXXXX")
db=$work/tokens.db
gw_pid=
stop_gateway() {
    if [ -n "$gw_pid" ]; then
        kill -TERM "$gw_pid" 2>/dev/null
        wait "$gw_pid" 2>/dev/null
        gw_pid=
    fi
}
cleanup() { stop_gateway; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
problems=()
check() { # check OK DESCRIPTION
    if [ "$1" = 1 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        problems+=("$2")
    fi
}

ctl() { "$bin/tokenctl" --db "$db" "$@"; }
die() { echo "$0: $*" >&2; [ -f "$work/gw.log" ] && tail -5 "$work/gw.log" >&2; exit 1; }
# issue VAR tokenctl-create-args...: sets VAR_id and VAR_tok
issue() {
    local var=$1 out
    shift
    out=$(ctl create "$@") || die "setup: tokenctl create $*"
    printf -v "${var}_id" '%s' "${out%% *}"
    printf -v "${var}_tok" '%s' "${out#* }"
}
hint() { [ -n "$1" ] && printf '%s...' "${1:0:9}" || printf -- '-'; }

# ------------------------------------------------------------------------------- set-up
ctl member-put alice "tickets:read tickets:write ManagePersonalAccessTokens" || die "setup: member-put"
ctl member-put bob "tickets:read assets:read ManagePersonalAccessTokens"
ctl member-put carol "tickets:read ManagePersonalAccessTokens"
ctl member-put dave "tickets:read ManagePersonalAccessTokens"
ctl member-put ops "admin"
issue expiring "short-lived" personal tickets:read --actor carol --expires-in-ms 1000
issue alice "alice cli" personal "tickets:read tickets:write" --actor alice
issue svc "ticket sync" service tickets:read --actor ops
issue carol "carol reader" personal tickets:read --actor carol
issue gone "deleted one" personal tickets:read --actor carol
ctl delete "$gone_id" --actor carol || die "setup: delete"
issue leak "leaked one" personal tickets:read --actor carol
issue paused "paused one" personal tickets:read --actor carol
issue bob "bob assets" personal "tickets:read assets:read" --actor bob
issue dave "dave reader" personal tickets:read --actor dave
issue limited "rate limited" service tickets:read --actor ops --rate-limit 2 --window-ms 60000

# ------------------------------------------------------------------------------- the gateway
"$bin/gateway" --port 0 --db "$db" --routes "$here/routes.conf" --threads 2 \
    >"$work/gw.out" 2>"$work/gw.log" &
gw_pid=$!
for _ in $(seq 200); do
    grep -q '^listening on' "$work/gw.out" 2>/dev/null && break
    kill -0 "$gw_pid" 2>/dev/null || die "the gateway exited at start"
    sleep 0.05
done
base=$(sed -n 's/^listening on \(http:[^ ]*\).*/\1/p' "$work/gw.out")
[ -n "$base" ] || die "the gateway did not start listening"
case "$base" in http://127.0.0.1:*) ;; *) die "the gateway listens on $base, not loopback" ;; esac
sleep 1.1 # the "short-lived" token (1 s) has expired by now, for real

unauthorized=$(ctl error-json TA_MALFORMED)
forbidden=$(ctl error-json TA_FORBIDDEN)
too_many=$(ctl error-json TA_RATE_LIMITED)

row=0
fmt='%-3s %-31s %-32s %-13s %-4s %-4s %-18s %-2s %s\n'
printf '\ngateway %s  (libtokenauth %s)\n\n' "$base" "$(ctl version)"
printf "$fmt" '#' 'case' 'request' 'token' 'want' 'got' 'reason' 'ok' 'detail'
printf "$fmt" '--' '----' '-------' '-----' '----' '---' '------' '--' '------'

header() { grep -i "^$1:" "$work/head" | head -1 | cut -d: -f2- | sed 's/^ *//; s/\r$//'; }

# req CASE METHOD PATH CREDENTIAL WANT_HTTP WANT_REASON [CHECK...]
#   CREDENTIAL: "" for no Authorization header, "raw:VALUE" for that exact header value, or a
#   secret (sent as "Bearer SECRET"). CHECKs: "body=EXACT", "body~SUBSTRING",
#   "hdr:NAME=EXACT", "hdr:NAME~SUBSTRING", "hdr:NAME%REGEX", "nohdr:NAME".
req() {
    local name=$1 method=$2 path=$3 cred=$4 want=$5 want_reason=$6
    shift 6
    local args=(-s -o "$work/body" -D "$work/head" -w '%{http_code}' -X "$method") shown=-
    case "$cred" in
        "") ;;
        raw:*) args+=(-H "Authorization: ${cred#raw:}"); shown="(bad)" ;;
        *) args+=(-H "Authorization: Bearer $cred"); shown=$(hint "$cred") ;;
    esac
    [ "$method" = POST ] && args+=(-H 'Content-Type: application/json' --data '{"title":"demo"}')
    local lines_before
    lines_before=$(wc -l <"$work/gw.log")
    local got
    got=$(curl "${args[@]}" "$base$path")
    local body
    body=$(cat "$work/body")
    # The gateway logs one line per request; it is written before the response is sent.
    local reason
    reason=$(tail -n +"$((lines_before + 1))" "$work/gw.log" | grep -o ' -> [0-9]* [A-Z_-]*' | tail -1 | awk '{print $3}')
    [ -n "$reason" ] || reason="?"
    row=$((row + 1))
    local ok=1 why=""
    [ "$got" = "$want" ] || { ok=0; why+=" http $got"; }
    [ "$reason" = "$want_reason" ] || { ok=0; why+=" reason $reason"; }
    local c spec name_ op val have
    for c in "$@"; do
        case "$c" in
            body=*) [ "$body" = "${c#body=}" ] || { ok=0; why+=" body"; } ;;
            body~*) [[ "$body" == *"${c#body~}"* ]] || { ok=0; why+=" body lacks ${c#body~}"; } ;;
            hdr:*) # hdr:NAME=EXACT, hdr:NAME~SUBSTRING or hdr:NAME%REGEX (the first of = ~ % splits)
                spec=${c#hdr:}; name_=${spec%%[=~%]*}; op=${spec:${#name_}:1}; val=${spec:${#name_}+1}
                have=$(header "$name_")
                case "$op" in
                    =) [ "$have" = "$val" ] ;;
                    "~") [[ "$have" == *"$val"* ]] ;;
                    *) [[ "$have" =~ $val ]] ;;
                esac || { ok=0; why+=" $name_: '$have'"; } ;;
            nohdr:*) [ -z "$(header "${c#nohdr:}")" ] || { ok=0; why+=" has ${c#nohdr:}"; } ;;
        esac
    done
    check "$ok" "row $row ($name):$why"
    # detail: what a client sees that matters for this row
    local detail subject
    subject=$(printf '%s' "$body" | grep -o '"subject":[^,}]*' | head -1)
    if [ "${got:0:1}" = 2 ]; then
        detail=${subject:-}
    else
        detail=$(printf '%s' "$body" | grep -o '"errors":\[[^]]*\]' | head -1)
    fi
    local h
    for h in Retry-After RateLimit-Policy RateLimit; do
        [ -n "$(header "$h")" ] && detail+=" $h: $(header "$h")"
    done
    [ "$want_reason" = TA_FORBIDDEN ] && detail+=" ($(header WWW-Authenticate | grep -o 'scope="[^"]*"'))"
    printf "$fmt" "$row" "$name" "$method $path" "$shown" "$want" "$got" "$reason" \
        "$([ "$ok" = 1 ] && echo ok || echo XX)" "$detail"
}

req "valid personal token" GET /api/tickets "$alice_tok" 200 TA_OK \
    'body~"subject":"alice"' nohdr:RateLimit
req "same token, write route" POST /api/tickets "$alice_tok" 201 TA_OK 'body~"method":"POST"'
req "service token" GET /api/tickets/42 "$svc_tok" 200 TA_OK "body~\"subject\":\"$svc_id\""
req "CR LF in the path, escaped" GET "/api/tickets/%0D%0AX-Evil:1" "$carol_tok" 200 TA_OK \
    'body~"subject":"carol"' 'body~/api/tickets/__X-Evil:1'
req "any valid token (route '-')" GET /api/whoami "$carol_tok" 200 TA_OK 'body~"subject":"carol"'
req "no Authorization header" GET /api/tickets "" 401 TA_MALFORMED "body=$unauthorized" \
    'hdr:WWW-Authenticate=Bearer realm="api"'
req "not a token" GET /api/tickets "raw:Bearer not-a-token" 401 TA_MALFORMED "body=$unauthorized" \
    'hdr:WWW-Authenticate~error="invalid_token"'
req "unknown token (deleted)" GET /api/tickets "$gone_tok" 401 TA_UNKNOWN_TOKEN "body=$unauthorized"
req "expired token (1 s lifetime)" GET /api/tickets "$expiring_tok" 401 TA_EXPIRED "body=$unauthorized"
req "before revocation" GET /api/tickets "$leak_tok" 200 TA_OK
ctl revoke "$leak_id" --actor carol || die "revoke"
req "revoked token" GET /api/tickets "$leak_tok" 401 TA_REVOKED "body=$unauthorized"
req "missing scope (tickets:write)" POST /api/tickets "$carol_tok" 403 TA_FORBIDDEN "body=$forbidden" \
    'hdr:WWW-Authenticate~error="insufficient_scope"'
ctl deactivate "$paused_id" --actor carol || die "deactivate"
req "deactivated token" GET /api/tickets "$paused_tok" 403 TA_INACTIVE "body=$forbidden"
req "before the owner's downgrade" GET /api/assets "$bob_tok" 200 TA_OK
ctl member-put bob "tickets:read ManagePersonalAccessTokens" || die "downgrade"
req "owner downgraded (assets:read)" GET /api/assets "$bob_tok" 403 TA_FORBIDDEN "body=$forbidden"
req "downgraded, still has tickets" GET /api/tickets "$bob_tok" 200 TA_OK
ctl member-deactivate dave || die "member-deactivate"
req "owner deactivated" GET /api/tickets "$dave_tok" 403 TA_OWNER_INACTIVE "body=$forbidden"
req "rate limit 2/min: 1st" GET /api/tickets "$limited_tok" 200 TA_OK \
    'hdr:RateLimit-Policy="default";q=2;w=60' 'hdr:RateLimit~"default";r=1;t='
req "rate limit 2/min: 2nd" GET /api/tickets "$limited_tok" 200 TA_OK 'hdr:RateLimit~"default";r=0;t='
req "rate limit 2/min: 3rd" GET /api/tickets "$limited_tok" 429 TA_RATE_LIMITED "body=$too_many" \
    'hdr:Retry-After%^(2[0-9]|30)$' 'hdr:RateLimit-Policy="default";q=2;w=60' 'hdr:RateLimit~"default";r=0;t='
req "public route, no token" GET /noauth/ping "" 200 - 'body~"subject":null'
req "public route ignores a token" GET /noauth/ping "$alice_tok" 200 - 'body~"subject":null'
req "route not configured" GET /api/secret "$alice_tok" 404 - 'body~"success":false'

# ------------------------------------------------------------------------------- what was recorded
stop_gateway # ta_close flushes the usage the gateway buffered
stats=$(ctl stats "$alice_id")
printf '\nusage recorded by the gateway (tokenctl stats %s):\n  %s\n' "$alice_id" "$stats"
check "$([[ $stats == *'"GET /api/tickets":1'* && $stats == *'"POST /api/tickets":1'* ]] && echo 1 || echo 0)" \
    "alice's by_operation: $stats"
check "$([[ $stats == *'"200":1'* && $stats == *'"201":1'* ]] && echo 1 || echo 0)" "alice's by_status: $stats"
check "$([[ $stats == *'"use_count":2'* ]] && echo 1 || echo 0)" "alice's use_count: $stats"
lstats=$(ctl stats "$limited_id")
check "$([[ $lstats == *'"use_count":2'* && $lstats == *'"denied_count":1'* ]] && echo 1 || echo 0)" \
    "rate-limited token's counts: $lstats"
denied=$(ctl audit "event=verify.denied")
ndenied=$(printf '%s' "$denied" | grep -o '"event":"verify.denied"' | wc -l)
printf 'audit: %s verify.denied entries (one per known token, status and minute)\n' "$ndenied"
for st in TA_EXPIRED TA_REVOKED TA_FORBIDDEN TA_INACTIVE TA_OWNER_INACTIVE TA_RATE_LIMITED; do
    check "$([[ $denied == *"\"status\":\"$st\""* ]] && echo 1 || echo 0)" "no verify.denied entry with $st"
done
# the secret must never reach the upstream or the log
leaked=0
for t in "$alice_tok" "$carol_tok" "$svc_tok"; do grep -qF "$t" "$work/gw.log" && leaked=1; done
check "$([ "$leaked" = 0 ] && echo 1 || echo 0)" "a secret appeared in the gateway log"

echo
if [ "$failed" -gt 0 ]; then
    printf 'not as expected:\n'
    printf '  %s\n' "${problems[@]}"
fi
if [ "$mode" = test ]; then
    printf '%d passed, %d failed\n' "$passed" "$failed"
else
    printf 'demo: %d rows and checks as expected, %d not\n' "$passed" "$failed"
fi
[ "$failed" -eq 0 ]
