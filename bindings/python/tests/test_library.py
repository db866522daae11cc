"""Loading the library, the static helpers, and that the binding declares the whole ABI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

import tokenauth
from tokenauth import Status, _native

from conftest import REPO


def test_version_comes_from_the_library() -> None:
    v = tokenauth.version()
    assert re.fullmatch(r"\d+\.\d+\.\d+", v)
    assert v.split(".")[0] == str(_native.ABI_VERSION)
    assert os.path.exists(tokenauth.library_path()) or tokenauth.library_path()


def test_every_contract_function_is_declared() -> None:
    header = REPO / "include" / "tokenauth.h"
    if not header.exists():
        pytest.skip("include/tokenauth.h not found")
    text = re.sub(r"/\*.*?\*/", "", header.read_text(), flags=re.S)
    declared = set(re.findall(r"\b(ta_[a-z_]+)\s*\(", text))
    assert declared, "no functions found in the header"
    assert declared - set(_native.SIGNATURES) == set()
    lib = _native.load()
    for name, (restype, argtypes) in _native.SIGNATURES.items():
        fn = getattr(lib, name)
        assert fn.restype is restype and fn.argtypes == argtypes, name


def test_constants_match_the_header() -> None:
    header = REPO / "include" / "tokenauth.h"
    if not header.exists():
        pytest.skip("include/tokenauth.h not found")
    defines = dict(re.findall(r"^#define (TA_[A-Z_]+) (\d+)", header.read_text(), flags=re.M))
    assert int(defines["TA_ID_MAX"]) == _native.ID_MAX
    assert int(defines["TA_SCOPE_MAX"]) == _native.SCOPE_MAX
    assert int(defines["TA_ABI_VERSION"]) == _native.ABI_VERSION
    assert int(defines["TA_BATCH_MAX"]) == _native.BATCH_MAX == tokenauth.BATCH_MAX


def test_struct_layouts_match_the_header(tmp_path) -> None:
    """ctypes' idea of every struct field's offset equals the C compiler's."""
    import ctypes
    import shutil

    header = REPO / "include" / "tokenauth.h"
    cc = shutil.which("cc") or shutil.which("gcc")
    if not header.exists() or cc is None:
        pytest.skip("needs include/tokenauth.h and a C compiler")
    structs = {"ta_verdict": _native.TaVerdict, "ta_token_spec": _native.TaTokenSpec,
               "ta_config": _native.TaConfig}
    lines = ['#include <stdio.h>', '#include <stddef.h>', '#include "tokenauth.h"', "int main(void){"]
    for cname, py in structs.items():
        lines.append(f'printf("{cname} %zu\\n", sizeof({cname}));')
        for field, _ in py._fields_:
            lines.append(f'printf("{cname}.{field} %zu\\n", offsetof({cname}, {field}));')
    lines.append("return 0;}")
    src = tmp_path / "layout.c"
    src.write_text("\n".join(lines))
    exe = tmp_path / "layout"
    subprocess.run([cc, "-I", str(header.parent), str(src), "-o", str(exe)], check=True)
    got = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout.split("\n")
    mine = []
    for cname, py in structs.items():
        mine.append(f"{cname} {ctypes.sizeof(py)}")
        mine += [f"{cname}.{f} {getattr(py, f).offset}" for f, _ in py._fields_]
    assert [l for l in got if l] == mine


@pytest.mark.parametrize("status", list(Status))
def test_status_names_and_http_come_from_the_library(status: Status) -> None:
    assert tokenauth.status_name(status) == "TA_" + status.name
    assert status.c_name == "TA_" + status.name
    expected_http = {
        0: 200, 1: 401, 2: 401, 3: 401, 4: 401, 5: 403, 6: 403, 7: 403, 8: 429,
        20: 404, 21: 403, 22: 409, 23: 400, 24: 400, 40: 503, 41: 500,
    }[int(status)]
    assert tokenauth.status_http(status) == expected_http == status.http
    body = tokenauth.error_json(status)
    if status == Status.OK:
        assert body is None
    else:
        parsed = json.loads(body)
        assert parsed["success"] is False and parsed["data"] is None
        assert isinstance(parsed["errors"], list) and parsed["errors"]


def test_error_bodies_of_the_issue() -> None:
    assert json.loads(tokenauth.error_json(Status.FORBIDDEN)) == {
        "success": False, "errors": ["Forbidden"], "data": None}
    assert json.loads(tokenauth.error_json(Status.MALFORMED))["errors"] == ["Unauthorized"]
    assert json.loads(tokenauth.error_json(Status.RATE_LIMITED))["errors"] == ["Too Many Requests"]


def test_unknown_status_gets_a_placeholder_name() -> None:
    name = tokenauth.status_name(9999)
    assert isinstance(name, str) and name != ""
    err = tokenauth.exception_for(9999, "future")
    assert type(err) is tokenauth.TokenAuthError and err.status == 9999


def test_every_failing_status_has_its_exception() -> None:
    pairs = {
        Status.MALFORMED: tokenauth.Malformed, Status.UNKNOWN_TOKEN: tokenauth.UnknownToken,
        Status.REVOKED: tokenauth.Revoked, Status.EXPIRED: tokenauth.Expired,
        Status.INACTIVE: tokenauth.Inactive, Status.OWNER_INACTIVE: tokenauth.OwnerInactive,
        Status.FORBIDDEN: tokenauth.Forbidden, Status.RATE_LIMITED: tokenauth.RateLimited,
        Status.NOT_FOUND: tokenauth.NotFound, Status.PERMISSION_DENIED: tokenauth.PermissionDenied,
        Status.CONFLICT: tokenauth.Conflict, Status.UNKNOWN_SCOPE: tokenauth.UnknownScope,
        Status.INVALID_ARGUMENT: tokenauth.InvalidArgument,
        Status.STORAGE_ERROR: tokenauth.StorageError, Status.INTERNAL_ERROR: tokenauth.InternalError,
    }
    for status, cls in pairs.items():
        err = tokenauth.exception_for(status, "detail")
        assert type(err) is cls and isinstance(err, tokenauth.TokenAuthError)
        assert err.status == status and err.http_status == tokenauth.status_http(status)
        assert err.message == "detail" and err.name == "TA_" + status.name
        assert err.error_json == tokenauth.error_json(status)
        assert "TA_" + status.name in str(err)


def test_last_error_is_empty_after_success(store: tokenauth.Store) -> None:
    with pytest.raises(tokenauth.InvalidArgument):
        store.put_member("bad id!", "")
    assert tokenauth.last_error() != ""
    store.put_member("fine", "")
    assert tokenauth.last_error() == ""


def _run(code: str, **env: str) -> subprocess.CompletedProcess:
    full = dict(os.environ)
    full.update(env)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=full,
                          capture_output=True, text=True, timeout=60)


def test_a_bad_tokenauth_library_names_what_was_tried(tmp_path) -> None:
    r = _run("""
        import tokenauth
        try:
            tokenauth.Store.open(":memory:")
        except tokenauth.LibraryNotFoundError as e:
            print("TRIED", e)
    """, TOKENAUTH_LIBRARY=str(tmp_path / "nope.so"))
    assert "TRIED" in r.stdout, r.stderr
    assert "TOKENAUTH_LIBRARY" in r.stdout and "nope.so" in r.stdout


def test_lookup_order(monkeypatch) -> None:
    monkeypatch.setenv("TOKENAUTH_LIBRARY", "/x/libtokenauth.so")
    places = [w for w, _ in _native._candidates()]
    assert places[0] == "TOKENAUTH_LIBRARY"
    assert places.index("package folder") < min(i for i, w in enumerate(places) if "system loader" in w)
    assert _native._candidates()[-1] == ("system loader", "libtokenauth.so.1")


def test_the_library_loads_from_the_package_folder(tmp_path) -> None:
    lib = tokenauth.library_path()
    if not os.path.isfile(lib):
        pytest.skip("library not loaded from a file path")
    import shutil
    pkg = tmp_path / "tokenauth"
    shutil.copytree(os.path.dirname(tokenauth.__file__), pkg)
    shutil.copy(lib, pkg / "libtokenauth.so.1")
    r = _run("""
        import tokenauth
        print("FROM", tokenauth.library_path())
        print("VERSION", tokenauth.version())
    """, TOKENAUTH_LIBRARY="", PYTHONPATH=str(tmp_path))
    assert f"FROM {pkg / 'libtokenauth.so.1'}" in r.stdout, r.stdout + r.stderr


def test_check_verify_input_judges_as_a_verification_does() -> None:
    tokenauth.check_verify_input("tickets:read assets:write", "project/42/tickets/7")
    tokenauth.check_verify_input(["tickets:read"], None)
    tokenauth.check_verify_input(None, "")
    with pytest.raises(tokenauth.InvalidArgument, match="resource"):
        tokenauth.check_verify_input("tickets:read", "project/4 2")
    with pytest.raises(tokenauth.InvalidArgument, match="resource"):
        tokenauth.check_verify_input(None, "project/*")  # a pattern, not a name
    with pytest.raises(tokenauth.InvalidArgument, match="required_scopes"):
        tokenauth.check_verify_input("Tickets:Read", None)
    with tokenauth.Store.open(":memory:") as store:
        store.put_member("alice", "tickets:read ManagePersonalAccessTokens")
        secret = store.create_token("ci", "tickets:read", actor="alice").secret
        for scopes, resource in [("tickets:read", "project/4 2"), ("Tickets:Read", None)]:
            assert store.verify("Bearer " + secret, scopes, resource=resource).status == Status.INVALID_ARGUMENT
