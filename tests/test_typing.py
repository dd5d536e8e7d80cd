"""A type checker understands user models: mypy passes on tests/typing_cases.py.

typing_cases.py states the expected types with ``typing.assert_type`` and marks the lines
mypy must reject with ``# type: ignore[code]``; ``warn_unused_ignores`` turns an ignore
that suppresses nothing (a check that stopped failing) into an error.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "typing_cases.py"

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("mypy") is None, reason="needs mypy: pip install mypy"
)


def run_mypy(target: Path, cache_dir: Path) -> tuple[str, int]:
    from mypy import api

    stdout, stderr, status = api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--strict",
            "--warn-unused-ignores",
            "--show-error-codes",
            "--no-error-summary",
            # Only the cases are under test here; the package's own strictness is checked
            # by running mypy on uow_orm, so its errors are not reported a second time.
            "--follow-imports=silent",
            "--cache-dir",
            str(cache_dir),
            str(target),
        ]
    )
    return stdout + stderr, status


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mypy_cache")


def test_typing_cases_pass_mypy_strict(mypy_cache: Path) -> None:
    output, status = run_mypy(CASES, mypy_cache)
    assert status == 0 and not output.strip(), output


def test_mypy_reports_a_wrong_expectation(mypy_cache: Path, tmp_path: Path) -> None:
    # The harness itself must be able to fail: a false assert_type and a constructor call
    # with an unknown keyword left unmarked are both reported, at their lines.
    bad = tmp_path / "bad_cases.py"
    wrong_type = "    assert_type(session.get(User, 1), User)"
    unknown_keyword = '    User(name="x", no_such_column=1)'
    text = "\n".join(
        [
            CASES.read_text(encoding="utf-8"),
            "",
            "def wrong(session: Session) -> None:",
            wrong_type,
            unknown_keyword,
            "",
        ]
    )
    bad.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    output, status = run_mypy(bad, mypy_cache)
    assert status != 0, output
    assert f"bad_cases.py:{lines.index(wrong_type) + 1}: error" in output, output
    assert "[assert-type]" in output, output
    assert f"bad_cases.py:{lines.index(unknown_keyword) + 1}: error" in output, output
    assert "[call-arg]" in output, output
