"""The README and tutorial examples pass ``mypy --strict`` as a user would run it.

Each page's python fences are joined in order into one module (they run in one namespace,
see test_docs.py) and checked with mypy in strict mode with the uow_orm mypy plugin, the
configuration docs/sqlalchemy.md recommends. Also pins what the plugin and the ``Column``
typing give: a ``declarative_base()`` class mypy can subclass, and no "Need type annotation".
"""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

import pytest
from test_docs import ROOT, extract_snippets

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("mypy") is None, reason="needs mypy: pip install mypy"
)

CHECKED_PAGES = ["README.md", "docs/tutorial.md"]

USER_CONFIG = """\
[tool.mypy]
strict = true
warn_unused_ignores = true
show_error_codes = true
plugins = ["uow_orm.ext.mypy.plugin"]
"""


def run_mypy(target: Path, config: Path, cache_dir: Path) -> tuple[str, int]:
    from mypy import api

    stdout, stderr, status = api.run(
        [
            "--config-file",
            str(config),
            "--no-error-summary",
            # The package's own strictness is checked by running mypy on uow_orm.
            "--follow-imports=silent",
            "--cache-dir",
            str(cache_dir),
            str(target),
        ]
    )
    return stdout + stderr, status


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("docs_typing")
    (path / "pyproject.toml").write_text(USER_CONFIG, encoding="utf-8")
    return path


def page_module(page: str) -> str:
    snippets = [s for s in extract_snippets(ROOT / page) if s.run]
    assert snippets, f"{page} has no python examples"
    return "\n\n".join(s.code for s in snippets) + "\n"


@pytest.mark.parametrize("page", CHECKED_PAGES)
def test_page_examples_pass_mypy_strict(page: str, workdir: Path) -> None:
    target = workdir / (Path(page).stem.lower() + "_examples.py")
    target.write_text(page_module(page), encoding="utf-8")
    output, status = run_mypy(target, workdir / "pyproject.toml", workdir / ".mypy_cache")
    assert status == 0 and not output.strip(), output


def test_declarative_base_class_is_typed_for_mypy(workdir: Path) -> None:
    # assert_type lines must hold, and each line marked with an ignore must really fail
    # (warn_unused_ignores reports a marker that suppresses nothing).
    code = textwrap.dedent(
        """\
        from typing import Any, assert_type

        from uow_orm import Column, Integer, Mapped, MetaData, declarative_base, mapped_column

        Base = declarative_base(metadata=MetaData())


        class User(Base):
            __tablename__ = "users"
            id: Mapped[int] = mapped_column(primary_key=True)
            name: Mapped[str] = mapped_column()
            legacy = Column(Integer)


        user = User(name="ada")
        assert_type(user.name, str)
        assert_type(Base.metadata, MetaData)
        assert_type(User.legacy, Column[Any])
        User(nickname="x")  # type: ignore[call-arg]
        user.name = 1  # type: ignore[assignment]
        """
    )
    target = workdir / "declarative_base_cases.py"
    target.write_text(code, encoding="utf-8")
    output, status = run_mypy(target, workdir / "pyproject.toml", workdir / ".mypy_cache")
    assert status == 0 and not output.strip(), output


def test_without_the_plugin_mypy_rejects_a_declarative_base_variable(workdir: Path) -> None:
    # Shows why the plugin line is in the recommended config (and that this check can fail).
    plain = workdir / "plain"
    plain.mkdir(exist_ok=True)
    (plain / "pyproject.toml").write_text(
        USER_CONFIG.replace('plugins = ["uow_orm.ext.mypy.plugin"]\n', ""), encoding="utf-8"
    )
    target = plain / "readme_examples.py"
    target.write_text(page_module("README.md"), encoding="utf-8")
    output, status = run_mypy(target, plain / "pyproject.toml", plain / ".mypy_cache")
    assert status != 0 and "Invalid base class" in output, output
