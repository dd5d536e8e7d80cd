"""Every Python example in the documentation runs, the demo runs, and the site builds.

Each ```python fence in docs/**/*.md and README.md is executed. The fences of one page
run in order in one namespace (a page is read top to bottom, so a later example may use
names an earlier one defined), inside a fresh temporary working directory so that
relative SQLite paths such as ``sqlite:///app.db`` land there. A fence is skipped only
when it is marked ```python title="not-run" or preceded by a ``<!-- norun -->`` line.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import re
import subprocess
import sys
import traceback
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`]*)$")
NORUN_COMMENT = re.compile(r"^\s*<!--\s*norun\s*-->\s*$")
PYTHON_LANGS = {"python", "py", "python3"}


@dataclass
class Snippet:
    page: str
    number: int  # 1-based among the page's python fences, run or not
    line: int  # 1-based line of the opening fence
    code: str
    run: bool


def _is_norun(info: str) -> bool:
    return bool(re.search(r"""title\s*=\s*["']not-run["']""", info))


def extract_snippets(path: Path, root: Path = ROOT) -> list[Snippet]:
    """The python fences of one Markdown file, in order, with their run/skip marking."""
    lines = path.read_text(encoding="utf-8").splitlines()
    page = path.relative_to(root).as_posix()
    snippets: list[Snippet] = []
    previous_nonblank = ""
    i = 0
    while i < len(lines):
        match = FENCE_OPEN.match(lines[i])
        if not match:
            if lines[i].strip():
                previous_nonblank = lines[i]
            i += 1
            continue
        indent, fence, info = match["indent"], match["fence"], match["info"].strip()
        lang = info.split()[0].lower() if info else ""
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines):
            stripped = lines[i].strip()
            if stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0]):
                break
            body.append(lines[i][len(indent) :] if lines[i].startswith(indent) else lines[i])
            i += 1
        i += 1  # past the closing fence
        if lang in PYTHON_LANGS:
            run = not _is_norun(info) and not NORUN_COMMENT.match(previous_nonblank)
            snippets.append(Snippet(page, len(snippets) + 1, start + 1, "\n".join(body), run))
        previous_nonblank = ""
    return snippets


def documented_pages() -> list[Path]:
    pages = sorted(DOCS.rglob("*.md")) if DOCS.is_dir() else []
    readme = ROOT / "README.md"
    if readme.is_file():
        pages.insert(0, readme)
    return pages


PAGES_WITH_CODE = [p for p in documented_pages() if any(s.run for s in extract_snippets(p))]


def _dispose_engines(namespace: dict[str, object]) -> None:
    """Close pools the page opened so file handles do not outlive its temp dir."""
    for value in list(namespace.values()):
        if type(value).__name__ == "Engine" and hasattr(value, "dispose"):
            with contextlib.suppress(Exception):
                value.dispose()


@pytest.mark.parametrize(
    "page", PAGES_WITH_CODE, ids=[p.relative_to(ROOT).as_posix() for p in PAGES_WITH_CODE]
)
def test_every_python_example_on_the_page_runs(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    rel = page.relative_to(ROOT).as_posix()
    # A real module object, registered while the page runs, so that anything looking
    # classes up through sys.modules[cls.__module__] (annotations, pickling) finds them.
    module_name = "docs_page_" + re.sub(r"\W", "_", rel)
    module = types.ModuleType(module_name)
    module.__file__ = str(page)
    namespace = module.__dict__
    monkeypatch.setitem(sys.modules, module_name, module)
    try:
        for snippet in extract_snippets(page):
            if not snippet.run:
                continue
            filename = f"{rel} (snippet {snippet.number}, line {snippet.line})"
            out = io.StringIO()
            try:
                code = compile(snippet.code, filename, "exec")
                with contextlib.redirect_stdout(out):
                    exec(code, namespace)
            except BaseException as error:
                if isinstance(error, KeyboardInterrupt):
                    raise
                pytest.fail(
                    f"{rel}: python snippet {snippet.number} (fence at line {snippet.line}) "
                    f"failed:\n{traceback.format_exc()}\n--- its output ---\n{out.getvalue()}"
                    f"\n--- its code ---\n{snippet.code}",
                    pytrace=False,
                )
    finally:
        _dispose_engines(namespace)


def test_docs_have_examples_and_norun_fences_stay_rare() -> None:
    snippets = [s for p in documented_pages() for s in extract_snippets(p)]
    assert len(snippets) >= 40, "the docs should be built around runnable examples"
    skipped = [f"{s.page}:{s.line}" for s in snippets if not s.run]
    assert len(skipped) * 10 <= len(snippets), f"too many not-run examples: {skipped}"


def test_snippet_extraction_honours_norun_markers(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "Intro\n\n```python\nx = 1\n```\n\n<!-- norun -->\n```python\nraise SystemExit\n```\n\n"
        '```python title="not-run"\nraise SystemExit\n```\n\n```bash\nls\n```\n\n'
        "!!! note\n    ```python\n    y = x + 1\n    ```\n",
        encoding="utf-8",
    )
    snippets = extract_snippets(page, root=tmp_path)
    assert [(s.number, s.run) for s in snippets] == [(1, True), (2, False), (3, False), (4, True)]
    assert snippets[3].code == "y = x + 1"


def test_demo_runs_and_narrates() -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, "-m", "uow_orm.demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    # echo=True shows the SQL, and the narration covers each step of the tour.
    for expected in ("INSERT", "SAVEPOINT", "ROLLBACK TO SAVEPOINT", "COMMIT"):
        assert expected in output, f"{expected!r} missing from demo output:\n{output}"
    for step in ("savepoint", "expire", "refresh"):
        assert step in proc.stdout.lower(), f"narration of {step!r} missing:\n{proc.stdout}"


@pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None
    or importlib.util.find_spec("material") is None
    or importlib.util.find_spec("mkdocstrings_handlers") is None,
    reason="needs the docs tools: pip install mkdocs-material 'mkdocstrings[python]'",
)
def test_docs_site_builds_with_warnings_as_errors(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
