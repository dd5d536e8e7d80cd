"""The migration commands as a Python API: init, revision, upgrade, downgrade, current,
history, heads, stamp, check, sql and verify.

Called by the command line (``__main__.py``) and by applications and tests directly.
Settings come from a ``Config``: arguments, else ``[tool.uow_orm.migrate]`` in
``pyproject.toml`` of the working directory.

Called by: uow_orm.migrate, uow_orm.migrate.__main__.
"""

from __future__ import annotations

import importlib
import sys
import tempfile
import tomllib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..engine.create import create_engine
from ..engine.url import make_url
from ..sql.schema import MetaData
from . import autogenerate as autogen
from . import runner
from .script import MigrationError, Revision, ScriptDirectory, new_revision_id, slug

if TYPE_CHECKING:
    from ..engine.base import Engine


@dataclass
class Config:
    """Where the revisions live, which database to migrate, and the models: a MetaData
    (or a declarative base), or its import path ``"package.module:attribute"``."""

    directory: Path
    url: str | None = None
    metadata: str | MetaData | type | None = None

    def __post_init__(self) -> None:
        self.directory = Path(self.directory)

    @classmethod
    def load(
        cls,
        directory: str | Path | None = None,
        *,
        url: str | None = None,
        metadata: str | None = None,
        pyproject: str | Path = "pyproject.toml",
    ) -> Config:
        """Arguments win; missing ones come from ``[tool.uow_orm.migrate]`` (keys
        ``directory``, ``url``, ``metadata``) of ``pyproject``."""
        settings: dict[str, object] = {}
        path = Path(pyproject)
        if path.is_file():
            with path.open("rb") as fh:
                settings = tomllib.load(fh).get("tool", {}).get("uow_orm", {}).get("migrate", {})
            unknown = sorted(set(settings) - {"directory", "url", "metadata"})
            if unknown:
                raise MigrationError(
                    f"{path}: unknown key(s) in [tool.uow_orm.migrate]: {', '.join(unknown)} "
                    "(known: directory, url, metadata)"
                )
        chosen = directory or settings.get("directory") or "migrations"
        return cls(
            Path(str(chosen)),
            url or _opt_str(settings.get("url")),
            metadata or _opt_str(settings.get("metadata")),
        )

    def script(self) -> ScriptDirectory:
        """The `ScriptDirectory` of this config's revision directory."""
        return ScriptDirectory(self.directory)

    def engine(self) -> Engine:
        """A new engine for this config's database URL.

        Raises:
            MigrationError: when no URL is configured.
        """
        if not self.url:
            raise MigrationError("no database URL: pass --url or set url in [tool.uow_orm.migrate]")
        return create_engine(self.url)

    def target_metadata(self) -> MetaData:
        """The models' MetaData: the configured MetaData, the ``.metadata`` of a declarative
        base, or the object an import path ``"package.module:attribute"`` names.

        Raises:
            MigrationError: when no models are configured, the path has no ``:``, or the object
                is neither a MetaData nor has one.
        """
        if not self.metadata:
            raise MigrationError(
                "no models: pass --metadata package.module:attribute (a MetaData, or a "
                "declarative base whose .metadata is used) or set metadata in "
                "[tool.uow_orm.migrate]"
            )
        if not isinstance(self.metadata, str):
            found = getattr(self.metadata, "metadata", self.metadata)
            if not isinstance(found, MetaData):
                raise MigrationError(f"{self.metadata!r} is not a MetaData nor has a .metadata")
            return found
        module_name, _, attr = self.metadata.partition(":")
        if not attr:
            raise MigrationError(f"--metadata {self.metadata!r} must look like module:attribute")
        if "" not in sys.path and str(Path.cwd()) not in sys.path:
            sys.path.insert(0, str(Path.cwd()))
        obj: object = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
        found = getattr(obj, "metadata", obj)
        if not isinstance(found, MetaData):
            raise MigrationError(f"{self.metadata} is not a MetaData nor has a .metadata")
        return found


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


@contextmanager
def _engine(config: Config) -> Iterator[Engine]:
    engine = config.engine()
    try:
        yield engine
    finally:
        engine.dispose()


_README = """# Database migrations

Revision files live in `versions/`. Each defines `revision`, `down_revision`,
`upgrade()` and `downgrade()`, and changes the schema through `op`:

    python -m uow_orm.migrate revision -m "add users" --autogenerate
    python -m uow_orm.migrate upgrade head
    python -m uow_orm.migrate downgrade -1
"""


def init(directory: str | Path) -> Path:
    """Create a migration directory (with an empty ``versions/``)."""
    path = Path(directory)
    versions = path / "versions"
    if versions.exists() and any(versions.iterdir()):
        raise MigrationError(f"{versions} already exists and is not empty")
    versions.mkdir(parents=True, exist_ok=True)
    (path / "README.md").write_text(_README, encoding="utf-8")
    return path


_TEMPLATE = '''"""{message}

Revision ID: {revision}
Revises: {down_text}
"""

import uow_orm as sa  # noqa: F401
from uow_orm.dialects import postgresql  # noqa: F401
from uow_orm.migrate import op  # noqa: F401

revision = {revision!r}
down_revision = {down_revision!r}
message = {message!r}


def upgrade() -> None:
{upgrade}


def downgrade() -> None:
{downgrade}
'''


def revision(
    config: Config,
    message: str,
    *,
    autogenerate: bool = False,
    head: str | None = None,
    merge: bool = False,
) -> Path:
    """Write a new revision file on top of the current head (or of ``head``; with
    ``merge=True`` on top of all heads) and return its path. With ``autogenerate`` its
    body holds the operations that bring the database, which must be at the head, to the
    models' schema."""
    script = config.script()
    if head is not None:
        down: tuple[str, ...] = (script.get(head).revision,)
    elif merge:
        down = tuple(script.heads)
        if len(down) < 2:
            raise MigrationError("nothing to merge: there is only one head")
    else:
        if len(script.heads) > 1:
            raise MigrationError(
                f"there are several heads ({', '.join(script.heads)}); pass head=... or "
                "merge=True (--head / --merge)"
            )
        down = tuple(script.heads)
    up_body = down_body = "    pass"
    if autogenerate:
        metadata = config.target_metadata()
        with _engine(config) as engine, engine.connect() as conn:
            at = runner.current_heads(conn)
            if script.ancestors(at) != script.ancestors(down):
                raise MigrationError(
                    "the database is not at the revision the new one builds on "
                    f"({', '.join(down) or 'base'}); run upgrade first"
                )
            changes = autogen.compare(metadata, conn).changes
            up_body = autogen.render_body(changes, "upgrade", conn.dialect.name)
            down_body = autogen.render_body(changes, "downgrade", conn.dialect.name)
    rev = new_revision_id()
    down_revision: str | tuple[str, ...] | None = (
        None if not down else down[0] if len(down) == 1 else down
    )
    path = script.versions / f"{rev}_{slug(message)}.py"
    path.write_text(
        _TEMPLATE.format(
            message=message,
            revision=rev,
            down_revision=down_revision,
            down_text=", ".join(down) or "(base)",
            upgrade=up_body,
            downgrade=down_body,
        ),
        encoding="utf-8",
    )
    return path


def _target(script: ScriptDirectory, current: set[str], target: str) -> str:
    if target[:1] in "+-" and target[1:].isdigit():
        return script.relative(current, int(target))
    return target


def upgrade(config: Config, target: str = "head") -> list[str]:
    """Apply the revisions up to ``target`` ("head", "heads", an id, "+N"); returns the
    heads the database is at afterwards."""
    script = config.script()
    with _engine(config) as engine:
        with engine.connect() as conn:
            start = runner.current_heads(conn)
        steps = script.upgrade_path(start, _target(script, start, target))
        return sorted(runner.run(engine, script, steps, "upgrade", start))


def downgrade(config: Config, target: str) -> list[str]:
    """Undo revisions down to ``target`` ("base", an id, "-N")."""
    script = config.script()
    with _engine(config) as engine:
        with engine.connect() as conn:
            start = runner.current_heads(conn)
        steps = script.downgrade_path(start, _target(script, start, target))
        return sorted(runner.run(engine, script, steps, "downgrade", start))


def current(config: Config) -> list[str]:
    """The revisions the database is at (``[]`` before the first upgrade)."""
    with _engine(config) as engine, engine.connect() as conn:
        return sorted(runner.current_heads(conn))


def history(config: Config) -> list[Revision]:
    """Every revision of the directory, newest first."""
    return config.script().history()


def heads(config: Config) -> list[str]:
    """The head revisions of the directory (those nothing builds on), sorted."""
    return config.script().heads


def stamp(config: Config, target: str) -> list[str]:
    """Record ``target`` as the database's revision without running anything."""
    script = config.script()
    new_heads = script.heads_of(script.resolve(target))
    with _engine(config) as engine:
        runner.stamp(engine, new_heads)
    return new_heads


def check(config: Config) -> autogen.Comparison:
    """What differs between the models and the database (empty when they match)."""
    metadata = config.target_metadata()
    with _engine(config) as engine, engine.connect() as conn:
        return autogen.compare(metadata, conn)


def sql(config: Config, target: str = "head", *, start: str | None = None) -> str:
    """The SQL that ``upgrade target`` would run from ``start`` (default: base), as a
    script; nothing is run and no database is needed."""
    script = config.script()
    begin = script.resolve(start) if start else set()
    steps = script.upgrade_path(begin, target)
    url = make_url(config.url or "sqlite://")
    engine = create_engine(url)  # only its dialect is used: no connection is opened
    out: list[str] = []
    try:
        runner.offline_sql(
            engine.dialect, script, steps, "upgrade", begin, lambda s: out.append(s + ";")
        )
    finally:
        engine.dispose()
    return "\n".join(out) + "\n"


@contextmanager
def _throwaway_database(config: Config) -> Iterator[Config]:
    """A Config pointing at a new empty database of the same backend, removed after."""
    if not config.url:
        raise MigrationError("no database URL: pass --url or set url in [tool.uow_orm.migrate]")
    url = make_url(config.url)
    if url.backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="uow_verify_") as tmp:
            yield Config(config.directory, f"sqlite:///{Path(tmp) / 'verify.db'}", config.metadata)
        return
    name = f"uow_verify_{uuid.uuid4().hex[:12]}"
    with _engine(config) as admin:
        raw = admin.raw_connection()
        try:
            cursor = raw.dbapi_connection.cursor()
            cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            raw.close()
        try:
            yield Config(
                config.directory,
                url.set(database=name).render(hide_password=False),
                config.metadata,
            )
        finally:
            raw = admin.raw_connection()
            try:
                raw.dbapi_connection.cursor().execute(f'DROP DATABASE IF EXISTS "{name}"')
            finally:
                raw.close()


def verify(config: Config) -> list[str]:
    """Prove the revisions in a throwaway database of the same backend: ``upgrade
    heads`` on an empty database must give exactly the models' schema, and ``downgrade
    base`` must leave no table. Returns what went wrong (``[]`` when all is well)."""
    metadata = config.target_metadata()
    problems: list[str] = []
    with _throwaway_database(config) as scratch:
        upgrade(scratch, "heads")
        with _engine(scratch) as engine, engine.connect() as conn:
            problems += [
                f"after upgrade: {d}" for d in autogen.compare(metadata, conn).descriptions
            ]
        downgrade(scratch, "base")
        with _engine(scratch) as engine, engine.connect() as conn:
            from ..engine.reflection import Inspector

            left = [t for t in Inspector(conn).get_table_names() if t != runner.VERSION_TABLE]
            problems += [f"after downgrade base: table {t!r} is left" for t in left]
    return problems
