#!/usr/bin/env python3
"""python_bench — ta_verify through ctypes vs the Python floor (docs/performance.md).

    TOKENAUTH_LIBRARY=build/prefix/lib/libtokenauth.so.1 python3 bench/python_bench.py [--tokens N]
        [--runs R] [--ops K] [--dir DIR]

Creates N service tokens (ta_token_create, actor NULL) in a fresh database, keeps their secrets in
memory only, and measures on the same tokens and the same shuffled order, in every run:
  floor      hashlib.sha256(token).digest() + a dict lookup (what a pure-Python verifier costs);
  ctypes     ta_verify(store, token, b"tickets:read", pointer(verdict)) through ctypes directly
             against the shared library (argtypes declared once, arguments prepared once);
  binding    tokenauth.Store.verify (bindings/python), when that package is importable — it adds
             its own Python work (argument checks, a Verdict object per call).
Prints the medians of the runs and the median of the per-run ratios; target: ctypes <= 3x floor.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

# The ABI-1 struct layouts, shared with the Python binding (bindings/python), not copied.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bindings" / "python" / "src"))
from tokenauth._native import TaTokenSpec, TaVerdict  # noqa: E402

TA_OK = 0


def load_library() -> ctypes.CDLL:
    path = os.environ.get("TOKENAUTH_LIBRARY") or "libtokenauth.so.1"
    lib = ctypes.CDLL(path)
    sp = ctypes.c_void_p
    lib.ta_open.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.POINTER(sp)]
    lib.ta_open.restype = ctypes.c_int
    lib.ta_close.argtypes = [sp]
    lib.ta_close.restype = None
    lib.ta_token_create.argtypes = [sp, ctypes.c_char_p, ctypes.POINTER(TaTokenSpec),
                                    ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_void_p)]
    lib.ta_token_create.restype = ctypes.c_int
    lib.ta_verify.argtypes = [sp, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(TaVerdict)]
    lib.ta_verify.restype = ctypes.c_int
    lib.ta_free.argtypes = [ctypes.c_void_p]
    lib.ta_free.restype = None
    lib.ta_last_error.argtypes = []
    lib.ta_last_error.restype = ctypes.c_char_p
    lib.ta_version.argtypes = []
    lib.ta_version.restype = ctypes.c_char_p
    return lib


def loaded_library():
    """(path, first 16 hex digits of the SHA-256) of the libtokenauth this process has mapped."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            parts = line.split(None, 5)
            if len(parts) == 6 and "libtokenauth" in parts[5]:
                path = parts[5].strip()
                for source in (f"/proc/self/map_files/{parts[0]}", path):
                    try:
                        with open(source, "rb") as f:
                            return path, hashlib.sha256(f.read()).hexdigest()[:16]
                    except OSError:
                        continue
                return path, "?"
    return "?", "?"


def binding_store_class():
    """tokenauth.Store from bindings/python, if it imports; else None."""
    src = Path(__file__).resolve().parent.parent / "bindings" / "python" / "src"
    if src.is_dir():
        sys.path.insert(0, str(src))
    try:
        import tokenauth  # noqa: PLC0415

        return tokenauth.Store
    except Exception as exc:  # noqa: BLE001 - any failure only skips the optional row
        print(f"# bindings/python not usable here ({type(exc).__name__}: {exc}); row skipped")
        return None


SLICES = 10


def measure(fns, order, ops, warm):
    """Seconds per call of each fn in `fns` ({name: (fn, ops)}) over `order` (cycled), timed in SLICES
    slices that alternate between the functions, so that all of them see the same machine (it is
    shared: load comes and goes); `warm` untimed calls of each first. Returns {name: (sec, bad)}."""
    n = len(order)
    total = {name: 0.0 for name in fns}
    bad = {name: 0 for name in fns}
    done = {name: 0 for name in fns}
    for name, (fn, _) in fns.items():
        fn([order[(n // 2 + i) % n] for i in range(warm)])
    for k in range(SLICES):
        for name, (fn, count) in fns.items():
            per = max(count // SLICES, 1)
            seq = [order[(k * per + i) % n] for i in range(per)]
            t0 = time.perf_counter()
            bad[name] += fn(seq)
            total[name] += time.perf_counter() - t0
            done[name] += per
    return {name: (total[name] / done[name], bad[name]) for name in fns}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokens", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--ops", type=int, default=0, help="timed verifies per measurement (default max(N, 500000))")
    ap.add_argument("--dir", default=None, help="where the database goes (default: a temporary directory)")
    ap.add_argument("--seed", type=int, default=20240531)
    args = ap.parse_args()
    n = args.tokens
    ops = args.ops or max(n, 500000)
    warm = min(ops // 10, 50000)
    rng = random.Random(args.seed)

    lib = load_library()
    base = Path(args.dir) if args.dir else None
    if base:
        base.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="tokenauth-pybench.", dir=str(base) if base else None))
    db = work / "bench-py.db"
    lib_path, lib_hash = loaded_library()
    print(f"# python_bench: libtokenauth {lib.ta_version().decode()} ({lib_path}, sha256 {lib_hash}…), "
          f"Python {sys.version.split()[0]}, "
          f"N = {n} tokens, {args.runs} run(s), {ops} timed ops per measurement")
    try:
        store = ctypes.c_void_p()
        st = lib.ta_open(str(db).encode(), None, ctypes.byref(store))
        if st != TA_OK:
            raise SystemExit(f"ta_open: {st} {lib.ta_last_error()!r}")
        spec = TaTokenSpec(b"pybench", 2, b"tickets:read", 0, 0, 0)
        secret = ctypes.c_void_p()
        tokens = []
        t0 = time.perf_counter()
        for _ in range(n):
            st = lib.ta_token_create(store, None, ctypes.byref(spec), ctypes.byref(secret), None)
            if st != TA_OK:
                raise SystemExit(f"ta_token_create: {st} {lib.ta_last_error()!r}")
            tokens.append(ctypes.string_at(secret.value))
            lib.ta_free(secret)
        create_s = time.perf_counter() - t0
        print(f"# created {n} tokens through ctypes in {create_s:.1f} s ({n / create_s:.0f}/s)", file=sys.stderr)

        table = {hashlib.sha256(t).digest(): i for i, t in enumerate(tokens)}
        sha256 = hashlib.sha256
        get = table.get

        def floor(seq):
            bad = 0
            for t in seq:
                if get(sha256(t).digest()) is None:
                    bad += 1
            return bad

        verify = lib.ta_verify
        verdict = TaVerdict()
        pverdict = ctypes.pointer(verdict)
        scopes = b"tickets:read"
        handle = store  # a c_void_p instance: passed as is, no conversion per call

        def via_ctypes(seq):
            bad = 0
            for t in seq:
                if verify(handle, t, scopes, pverdict) != TA_OK:
                    bad += 1
            return bad

        store_cls = binding_store_class()
        bstore = store_cls(str(db)) if store_cls else None

        def via_binding(seq):
            bad = 0
            v = bstore.verify
            for t in seq:
                if not v(t, "tickets:read").ok:
                    bad += 1
            return bad

        # Every token once through each handle first: the hot path is "seen before".
        via_ctypes(tokens)
        if bstore:
            via_binding(tokens)

        res = {"floor": [], "ctypes": [], "binding": []}
        bad = {"floor": 0, "ctypes": 0, "binding": 0}
        for run in range(args.runs):
            order = list(tokens)
            rng.shuffle(order)
            # Fresh copies, allocated in the shuffled order: reading the presented token is then
            # (nearly) sequential, as a request buffer would be, while the lookups stay random.
            order = [bytes(bytearray(t)) for t in order]
            fns = {"floor": (floor, ops), "ctypes": (via_ctypes, ops)}
            if bstore:
                fns["binding"] = (via_binding, min(ops, 200000))
            for name, (sec, b) in measure(fns, order, ops, warm).items():
                res[name].append(sec)
                bad[name] += b
            print(f"# run {run + 1}/{args.runs} done", file=sys.stderr)
        if bstore:
            bstore.close()
        lib.ta_close(store)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def us(x):
        return f"{x * 1e6:.3f} µs"

    def ratio(name):
        return statistics.median(a / f for a, f in zip(res[name], res["floor"]))

    print()
    print(f"## Python, N = {n} tokens, median of {args.runs} run(s)")
    print()
    print("| measurement | median | rate | per run (µs) | ratio | target | result |")
    print("|---|---|---|---|---|---|---|")
    rows = [("floor: hashlib.sha256(token).digest() + dict lookup", "floor", "1.00× (baseline)", "", None),
            ("ta_verify through ctypes (scope \"tickets:read\", verdict struct)", "ctypes", None, "≤ 3× floor", 3.0),
            ("tokenauth.Store.verify (bindings/python)", "binding", None, "", None)]
    for what, name, rtext, target, limit in rows:
        if not res[name]:
            continue
        m = statistics.median(res[name])
        r = ratio(name)
        per = " / ".join(f"{x * 1e6:.3f}" for x in res[name])
        verdict_text = "" if limit is None else ("PASS" if r <= limit else "**MISS**")
        print(f"| {what} | {us(m)} | {1 / m / 1e6:.2f} M/s | {per} | {rtext or f'{r:.2f}× floor'} | {target} | "
              f"{verdict_text} |")
        if bad[name]:
            print(f"|   ↳ WARNING: {bad[name]} verifies did not succeed | | | | | | |")
    print(f"\nRatios: median of per-run ratios; each run times the rows in {SLICES} alternating slices on the same "
          "tokens in the same shuffled order (Store.verify: at most 200,000 calls per run).")
    print(f"\ntoken creation through ctypes: {n} in {create_s:.1f} s = {n / create_s:.0f} tokens/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
