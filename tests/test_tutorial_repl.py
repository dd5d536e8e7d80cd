"""The tutorial works as its first paragraph says: pasted into the ``python`` prompt, twice.

Feeds every tutorial example line by line to ``code.InteractiveConsole`` (the prompt's own
rules: a blank line ends an indented block) and runs the whole tutorial a second time in the
same working directory, so a leftover database file would break it.
"""

from __future__ import annotations

import code
import contextlib
import io
import tempfile
from pathlib import Path

import pytest
from test_docs import ROOT, extract_snippets

TUTORIAL = ROOT / "docs" / "tutorial.md"


class Prompt(code.InteractiveConsole):
    """A console that records errors instead of printing them."""

    def __init__(self) -> None:
        super().__init__({"__name__": "__console__"})
        self.errors: list[str] = []

    def write(self, data: str) -> None:
        self.errors.append(data)


def paste(prompt: Prompt, text: str) -> None:
    """Type ``text`` at the prompt as a paste would, then the Enter that ends a last block."""
    for line in text.splitlines():
        prompt.push(line)
    prompt.push("")


def _engines(namespace: dict[str, object]) -> list[object]:
    return [v for v in namespace.values() if type(v).__name__ == "Engine"]


def test_tutorial_pastes_into_the_python_prompt_and_runs_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workdir, scratch = tmp_path / "cwd", tmp_path / "tmp"
    workdir.mkdir()
    scratch.mkdir()
    monkeypatch.chdir(workdir)
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # the tutorial's temp files
    examples = [s for s in extract_snippets(TUTORIAL) if s.run]
    assert len(examples) > 10
    for attempt in (1, 2):
        prompt = Prompt()
        try:
            for example in examples:
                with contextlib.redirect_stdout(io.StringIO()):
                    paste(prompt, example.code)
                assert not prompt.errors, (
                    f"run {attempt}, example at docs/tutorial.md line {example.line}:\n"
                    + "".join(prompt.errors)
                )
        finally:
            for engine in _engines(prompt.locals):
                engine.dispose()  # type: ignore[attr-defined]
    assert list(workdir.iterdir()) == []  # nothing left in the working directory
    assert len(list(scratch.iterdir())) == 2  # each run had its own database file


def test_prompt_reports_a_blank_line_inside_a_class_body() -> None:
    # The check above can fail: this is the paste that used to break.
    prompt = Prompt()
    paste(prompt, "class A:\n    x = 1\n\n    y = 2\n")
    assert any("IndentationError" in e for e in prompt.errors), prompt.errors
