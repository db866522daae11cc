#!/usr/bin/env python3
"""check_docs — the documents hold what they promise (make test-docs).

    python3 tests/docs/check_docs.py --build DIR [--cc CC --cflags F --libs L] [--cxx CXX
        --cxxflags F] [--library PATH] [FILE.md ...]

For README.md, docs/*.md and bench/RESULTS.md (or the files given):

1. Every relative link and image resolves: the file or directory exists, and a `#anchor` names a
   heading of the target Markdown file (GitHub's rule: lower case, punctuation dropped, spaces to
   hyphens, "-1", "-2" for repeats) or an explicit `<a id="…">`.
2. No document names a repository file by a path it does not have: a path in prose or in inline
   code that starts with a source directory (Sources/, tests/, docs/, …) must exist when its last
   part is the name of a file or directory somewhere in the repository (a file that moved) or a
   source file's name (.c, .swift, .md, …).
3. Every fenced code block preceded by a comment `<!-- program: LANG; expect: REGEX; … -->` runs:
   LANG `c` is compiled with --cc/--cflags/--libs, `cpp` with --cxx/--cxxflags/--libs, `python`
   runs with the package from bindings/python/src and the library --library; each runs in a fresh
   directory under --build, must exit 0, and its standard output must match every REGEX
   (multi-line mode). README.md must hold at least one program.

Standard library only. Exit 0 when everything holds; otherwise every failure is printed.
"""
from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("Sources", "Tests", "tests", "include", "bench", "bindings", "docs", "examples",
               "fuzz", "mk", "modules")
SOURCE_SUFFIXES = {".c", ".h", ".cpp", ".hpp", ".swift", ".py", ".md", ".mk", ".sh", ".map"}
FENCE = re.compile(r"^(\s*)(```+|~~~+)(.*)$")
PROGRAM = re.compile(r"^<!--\s*program:\s*(.*?)\s*-->\s*$")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$")
EXPLICIT_ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"")
PATH = re.compile(r"(?<![\w/.~-])(?:%s)/[\w./+-]*[\w/]" % "|".join(SOURCE_DIRS))
CODE_SPAN = re.compile(r"(`+)(.+?)\1")


def tracked_names() -> set[str]:
    """The names of every file and directory in the repository (git's view, else the tree's)."""
    try:
        files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                               check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        files = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file()]
    names = set()
    for f in files:
        names.update(Path(f).parts)
    return names


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links: their text
    text = re.sub(r"<[^>]+>", "", text)                           # inline HTML
    text = text.strip().lower()
    return "".join(c for c in text if c.isalnum() or c in "-_ ").replace(" ", "-")


class Document:
    """One Markdown file: its prose lines (code blocks apart), anchors and marked programs."""

    def __init__(self, path: Path):
        self.path = path
        self.prose: list[tuple[int, str]] = []
        self.programs: list[tuple[int, str, str, str]] = []  # line, language, options, code
        self.anchors: set[str] = set()
        self._read(path.read_text(encoding="utf-8").splitlines())

    def _read(self, lines: list[str]) -> None:
        seen: dict[str, int] = {}
        pending = None  # (line, options) of a program comment waiting for its fence
        i = 0
        while i < len(lines):
            line = lines[i]
            fence = FENCE.match(line)
            if fence:
                close = re.compile(r"^\s*%s%s*\s*$" % (re.escape(fence.group(2)), fence.group(2)[0]))
                j = i + 1
                while j < len(lines) and not close.match(lines[j]):
                    j += 1
                if pending:
                    self.programs.append((pending[0], *self._language(pending[1]),
                                          "\n".join(lines[i + 1:j]) + "\n"))
                    pending = None
                i = j + 1
                continue
            marker = PROGRAM.match(line.strip())
            if marker:
                pending = (i + 1, marker.group(1))
            elif line.strip() and pending:
                raise SystemExit(f"{self.path}:{pending[0]}: a program comment must be followed by a code block")
            heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
            if heading:
                base = slug(heading.group(1))
                n = seen.get(base, 0)
                seen[base] = n + 1
                self.anchors.add(base if n == 0 else f"{base}-{n}")
            self.anchors.update(EXPLICIT_ANCHOR.findall(line))
            self.prose.append((i + 1, line))
            i += 1
        if pending:
            raise SystemExit(f"{self.path}:{pending[0]}: a program comment must be followed by a code block")

    @staticmethod
    def _language(options: str) -> tuple[str, str]:
        language, _, rest = options.partition(";")
        return language.strip(), rest


class Checker:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.failures: list[str] = []
        self.documents: dict[Path, Document] = {}
        self.names = tracked_names()

    def document(self, path: Path) -> Document:
        path = path.resolve()
        if path not in self.documents:
            self.documents[path] = Document(path)
        return self.documents[path]

    def fail(self, doc: Document, line: int, what: str) -> None:
        self.failures.append(f"{doc.path.relative_to(ROOT)}:{line}: {what}")

    # -- 1. links
    def check_links(self, doc: Document) -> int:
        count = 0
        for number, line in doc.prose:
            text = CODE_SPAN.sub("", line)
            targets = [m.group(1) for m in LINK.finditer(text)]
            reference = REFERENCE.match(text)
            if reference:
                targets.append(reference.group(1))
            for target in targets:
                if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
                    continue  # http:, https:, mailto: — not this repository's
                count += 1
                self.check_target(doc, number, target)
        return count

    def check_target(self, doc: Document, line: int, target: str) -> None:
        file_part, _, anchor = target.partition("#")
        path = (doc.path.parent / file_part).resolve() if file_part else doc.path
        try:
            path.relative_to(ROOT)
        except ValueError:
            self.fail(doc, line, f"link {target!r} leaves the repository")
            return
        if not path.exists():
            self.fail(doc, line, f"link {target!r}: no such file or directory")
            return
        if anchor and path.suffix == ".md":
            if anchor not in self.document(path).anchors:
                self.fail(doc, line, f"link {target!r}: no heading or anchor #{anchor} in {path.relative_to(ROOT)}")

    # -- 2. paths
    def check_paths(self, doc: Document) -> None:
        for number, line in doc.prose:
            spans = [m.group(2) for m in CODE_SPAN.finditer(line)]
            prose = CODE_SPAN.sub(" ", line)
            prose = LINK.sub(" ", prose)  # link targets are checked as links
            for candidate in [p for s in spans for p in PATH.findall(s)] + PATH.findall(prose):
                self.check_path(doc, number, candidate)

    def check_path(self, doc: Document, line: int, path: str) -> None:
        if (ROOT / path).exists():
            return
        last = path.rstrip("/").rsplit("/", 1)[-1]
        if last in self.names or Path(last).suffix in SOURCE_SUFFIXES:
            self.fail(doc, line, f"names {path}, which does not exist")

    # -- 3. programs
    def check_programs(self, doc: Document) -> int:
        for index, (line, language, options, code) in enumerate(doc.programs, 1):
            expects = [o.split(":", 1)[1].strip() for o in options.split(";")
                       if o.strip().startswith("expect:")]
            where = Path(self.args.build) / f"{doc.path.stem}-{index}"
            shutil.rmtree(where, ignore_errors=True)
            where.mkdir(parents=True)
            try:
                command = self.prepare(language, code, where)
            except ValueError as error:
                self.fail(doc, line, str(error))
                continue
            if command is None:
                self.fail(doc, line, f"the {language} program does not compile (above)")
                continue
            run = subprocess.run(command, cwd=where, capture_output=True, text=True, env=self.env())
            sys.stdout.write(f"--- {doc.path.relative_to(ROOT)}:{line} ({language})\n{run.stdout}")
            if run.returncode != 0:
                self.fail(doc, line, f"the {language} program exited {run.returncode}: {run.stderr.strip()}")
            for pattern in expects:
                if not re.search(pattern, run.stdout, re.M):
                    self.fail(doc, line, f"the {language} program's output does not match {pattern!r}")
            shutil.rmtree(where, ignore_errors=True)
        return len(doc.programs)

    def prepare(self, language: str, code: str, where: Path):
        """Writes the program; compiles it if it is C or C++. The command that runs it, or None."""
        a = self.args
        if language == "python":
            (where / "program.py").write_text(code)
            return [sys.executable, "program.py"]
        if language not in ("c", "cpp"):
            raise ValueError(f"unknown program language {language!r} (c, cpp or python)")
        source = where / ("program.c" if language == "c" else "program.cpp")
        source.write_text(code)
        compiler, flags = (a.cc, a.cflags) if language == "c" else (a.cxx, a.cxxflags)
        command = shlex.split(compiler) + shlex.split(flags) + [str(source), "-o", str(where / "program")] \
            + shlex.split(a.libs)
        build = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        if build.returncode != 0:
            sys.stdout.write(" ".join(command) + "\n" + build.stdout + build.stderr)
            return None
        return ["./program"]

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.args.library:
            env["TOKENAUTH_LIBRARY"] = str(Path(self.args.library).resolve())
        env["PYTHONPATH"] = str(ROOT / "bindings" / "python" / "src")
        return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default="build/tests/docs")
    parser.add_argument("--cc", default="cc")
    parser.add_argument("--cflags", default="")
    parser.add_argument("--cxx", default="c++")
    parser.add_argument("--cxxflags", default="")
    parser.add_argument("--libs", default="")
    parser.add_argument("--library", default="")
    parser.add_argument("files", nargs="*")
    args = parser.parse_args()
    files = [Path(f) for f in args.files] or \
        [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "bench" / "RESULTS.md"]
    checker = Checker(args)
    links = programs = 0
    for path in files:
        doc = checker.document(path)
        links += checker.check_links(doc)
        checker.check_paths(doc)
        programs += checker.check_programs(doc)
        if path.resolve() == ROOT / "README.md" and not doc.programs:
            checker.fail(doc, 1, "README.md holds no program block")
    for failure in checker.failures:
        print(failure)
    print(f"test-docs: {len(files)} documents, {links} relative links, {programs} programs: "
          + ("OK" if not checker.failures else f"{len(checker.failures)} FAILED"))
    return 1 if checker.failures else 0


if __name__ == "__main__":
    sys.exit(main())
