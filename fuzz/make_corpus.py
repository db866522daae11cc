#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/seed-*), deterministically.

The bytes follow the decoders in fuzz_verify.c and fuzz_ops.c; each seed is a short, meaningful
scenario that libFuzzer then mutates. Run from the repository root: python3 fuzz/make_corpus.py
"""
import os
import random
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(target, seeds):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.startswith("seed-"):
            os.remove(os.path.join(d, f))
    for i, data in enumerate(seeds):
        with open(os.path.join(d, "seed-%03d" % i), "wb") as f:
            f.write(bytes(data))
    print("%s: %d seeds" % (target, len(seeds)))


# ---------------------------------------------------------------- fuzz_verify
B62 = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def verify_seeds():
    rnd = random.Random(1)
    body = bytes(rnd.choice(B62) for _ in range(32))
    seeds = []
    # mode 0: raw credentials
    for raw in [b"", b"tkas_", b"Bearer ", b"Bearer tkap_" + body + b"000000", b"tkas_" + body + b"zzzzzz",
                b"bearer   tkas_" + body + b"AAAAAA", b"\xff\xfe", b"tka\x00s_" + body, b"B" * 5000]:
        seeds.append(b"\x00" + raw)
    # mode 1: required scopes + credential
    for scopes in [b"tickets:read", b"admin users:write", b"Tickets:Read", b"a" * 70, b"\xc3\x28"]:
        seeds.append(b"\x01" + bytes([len(scopes)]) + scopes + b"tkas_" + body + b"000000")
    # mode 2: forged well-formed tokens (right checksum, unknown)
    for kind in [b"s", b"p", b"\xf3"]:
        for n in [26, 27, 32, 64, 65]:
            seeds.append(bytes([0x02]) + kind + bytes(rnd.choice(B62) for _ in range(n)))
            seeds.append(bytes([0x42 | 0x80]) + kind + bytes(rnd.choice(B62) for _ in range(n)))
    seeds.append(b"\x02s" + body[:10] + b"!" + body[11:])
    # mode 3: the real tokens, every header variant and scope list, with and without edits
    for tok in range(10):
        for head in range(8):
            seeds.append(bytes([0x03 | (head << 2), tok, (tok * 3 + head) % 13]))
        seeds.append(bytes([0x03, tok, 2, 0, 40, ord("x")]))   # replace a byte
        seeds.append(bytes([0x03, tok, 0, 1, 42, ord(" ")]))   # insert a space
        seeds.append(bytes([0x03, tok, 0, 2, 3, 0]))           # delete a byte
    return seeds


# ---------------------------------------------------------------- fuzz_ops
# opcodes (first byte % 16)
MEMBER_PUT, MEMBER_ACTIVE, MEMBER_REMOVE, SCOPE_DEFINE, CREATE = 0, 1, 2, 3, 4
RENAME, SET_ACTIVE, REVOKE, DELETE, ROTATE, CLOCK, READ, BAD, VERIFY, USAGE = 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
ALICE, BOB, CAROL, DAVE, HOST, NOBODY = 0, 1, 2, 3, 4, 6
S = {n: i for i, n in enumerate(["tickets:read", "tickets:write", "assets:read", "assets:write", "users:read",
                                  "users:write", "admin", "x:a", "x:b", "x:c", "x:d"])}
LIST, MPAT, MSAT = 11, 12, 13  # bits of a member_put permission mask


def mask(*bits):
    m = 0
    for b in bits:
        m |= 1 << b
    return [m & 0xFF, m >> 8]


def create(actor, service, scopes, life=0, limit=0, name=0):
    return [CREATE, actor, 1 if service else 0] + mask(*scopes) + [life, limit, name]


def manage(op, actor, tok, b=0):
    return [op, actor, tok, b]


def ops_seeds():
    seeds = []
    # a service token created, verified, revoked, verified
    seeds.append(create(HOST, True, [S["tickets:read"]]) + [VERIFY, 0, 0, 1] + manage(REVOKE, HOST, 0)
                 + [VERIFY, 0, 0, 0])
    # alice (admin) creates a personal admin token, then loses admin: the token must follow her
    seeds.append(create(ALICE, False, [S["admin"]]) + [MEMBER_PUT, ALICE] + mask(S["tickets:read"], MPAT)
                 + [VERIFY, 0, 0, 2] + [VERIFY, 0, 0, 7])
    # bob's personal token; bob deactivated, activated, removed, re-added
    seeds.append(create(BOB, False, [S["tickets:write"]]) + [MEMBER_ACTIVE, BOB, 0] + [MEMBER_ACTIVE, BOB, 1]
                 + [MEMBER_REMOVE, BOB] + [MEMBER_PUT, BOB] + mask(S["tickets:write"], MPAT) + [VERIFY, 0, 0, 2])
    # rotation with grace, then the clock passes the grace
    seeds.append(create(HOST, True, [S["assets:write"]]) + manage(ROTATE, HOST, 0, 4) + [CLOCK, 3]
                 + manage(ROTATE, HOST, 0, 0) + manage(ROTATE, HOST, 1, 0))
    # the owner rotates a personal token; an admin tries to; the host tries to
    seeds.append(create(BOB, False, [S["assets:read"]]) + manage(ROTATE, ALICE, 0) + manage(ROTATE, HOST, 0)
                 + manage(ROTATE, BOB, 0, 2))
    # catalog: x:a implies tickets:read; carol holds x:a; a token with x:a; redefining x:a
    seeds.append([SCOPE_DEFINE, S["x:a"]] + mask(S["tickets:read"]) + [2]
                 + [MEMBER_PUT, CAROL] + mask(S["x:a"], MPAT, MSAT)
                 + create(CAROL, False, [S["x:a"]]) + create(CAROL, True, [S["x:a"]])
                 + [SCOPE_DEFINE, S["x:a"]] + mask(S["users:write"]) + [0]
                 + [VERIFY, 0, 0, 1] + [VERIFY, 1, 0, 5])
    # a cycle, a self-implication, an unknown implied scope, bad descriptions
    seeds.append([SCOPE_DEFINE, S["x:b"]] + mask() + [1] + [SCOPE_DEFINE, S["x:c"]] + mask(S["x:b"]) + [2]
                 + [SCOPE_DEFINE, S["x:b"]] + mask(S["x:c"]) + [3] + [SCOPE_DEFINE, S["x:d"]] + mask(S["x:d"]) + [4]
                 + [SCOPE_DEFINE, S["x:d"]] + mask(S["x:a"]) + [5])
    # expiry and deactivation
    seeds.append(create(HOST, True, [S["users:read"]], life=3) + manage(SET_ACTIVE, HOST, 0, 0)
                 + manage(SET_ACTIVE, HOST, 0, 1) + [CLOCK, 2] + manage(SET_ACTIVE, HOST, 0, 1)
                 + manage(ROTATE, HOST, 0, 0))
    # rate limits
    seeds.append(create(HOST, True, [S["tickets:read"]], limit=3) + [VERIFY, 0, 0, 0] * 3 + [CLOCK, 2])
    # deletion, and calls on the deleted token
    seeds.append(create(HOST, True, [S["tickets:read"]]) + manage(DELETE, HOST, 0) + manage(REVOKE, HOST, 0)
                 + manage(ROTATE, HOST, 0) + [USAGE, 0, 0] + [READ, HOST, 1, 0])
    # IAM: bob (no ManageService) tries service calls; dave (not a member) tries everything
    seeds.append(create(HOST, True, [S["tickets:read"]]) + manage(REVOKE, BOB, 0) + manage(DELETE, DAVE, 0)
                 + manage(RENAME, NOBODY, 0) + create(DAVE, True, [S["tickets:read"]])
                 + create(BOB, True, [S["tickets:read"]]) + create(BOB, False, [S["users:write"]]))
    # carol: ListAccessTokens only, reads everything, manages nothing
    seeds.append([MEMBER_PUT, CAROL] + mask(LIST) + create(BOB, False, [S["tickets:read"]])
                 + [READ, CAROL, 0, READ, CAROL, 1, 0, READ, CAROL, 2, 0, READ, CAROL, 3, READ, CAROL, 4]
                 + manage(REVOKE, CAROL, 0))
    # every read, by the host and by alice
    seeds.append(create(HOST, True, [S["tickets:read"]]) + sum(([READ, a, r] for a in (HOST, ALICE) for r in range(8)), []))
    # every list query and audit query
    seeds.append(create(BOB, False, [S["tickets:read"]]) + sum(([READ, HOST, (q << 3) | 0] for q in range(8)), [])
                 + sum(([READ, ALICE, (q << 3) | 3] for q in range(8)), []))
    # every bad call
    seeds.append(create(HOST, True, [S["tickets:read"]]) + sum(([BAD, b, 0] for b in range(20)), []))
    seeds.append(sum(([BAD, b, 4, 7, ord("x")] for b in range(20)), []))
    # bad member ids, actors, names, kinds, scopes
    seeds.append([MEMBER_PUT, 4] + mask(S["tickets:read"]) + [MEMBER_PUT, 5, 0] + mask(S["tickets:read"])
                 + [MEMBER_PUT, ALICE] + mask(14) + [MEMBER_PUT, ALICE] + mask(15)
                 + create(7, True, [S["tickets:read"]]) + [CREATE, HOST, 0x0F] + mask(S["tickets:read"]) + [0, 0, 0]
                 + [CREATE, HOST, 1] + mask(11) + [0, 0, 0] + [CREATE, HOST, 1] + mask() + [0, 0, 0]
                 + create(HOST, True, [S["tickets:read"]], name=3) + create(HOST, True, [S["tickets:read"]], name=5)
                 + create(HOST, True, [S["tickets:read"]], life=6))
    # verification variants (headers, edits, scopes outside the catalog)
    seeds.append(create(ALICE, False, [S["admin"]]) + sum(([VERIFY, 0, b, r] for b in (0, 1, 2, 3, 0x10, 0x21, 0xF0)
                                                           for r in (0, 7, 12)), []))
    # usage records
    seeds.append(create(HOST, True, [S["tickets:read"]]) + [USAGE, 0, 0, USAGE, 0, 1, USAGE, 0, 3, USAGE, 0, 0x80]
                 + [READ, HOST, 2, 0] + [READ, HOST, 7])
    # a long random walk
    rnd = random.Random(7)
    for _ in range(8):
        seeds.append([rnd.randrange(256) for _ in range(rnd.randrange(40, 300))])
    return seeds


if __name__ == "__main__":
    write("fuzz_verify", verify_seeds())
    write("fuzz_ops", ops_seeds())
    sys.exit(0)
