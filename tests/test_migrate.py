"""The built-in migration tool (``uow_orm.migrate``): revision graph, operations, batch
rebuilds on SQLite, autogenerate, check / verify, offline SQL and the command line.

Both backends; every assertion reads the live schema (through the Inspector) or rows back.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from uow_orm import create_engine, exc, inspect, text
from uow_orm.migrate import Config, MigrationError, commands, op
from uow_orm.migrate.__main__ import main

MODELS_V1 = """
from uow_orm import Column, ForeignKey, Integer, String, declarative_base

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)


class Address(Base):
    __tablename__ = "addresses"
    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    email = Column(String(100), index=True)
"""

MODELS_V2 = """
from uow_orm import Column, ForeignKey, Integer, String, Text, declarative_base

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    name = Column(String(80), nullable=False)
    bio = Column(Text)
    status = Column(String(10), nullable=False, server_default="active")


class Address(Base):
    __tablename__ = "addresses"
    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    email = Column(String(100), index=True)


class Tag(Base):
    __tablename__ = "tags"
    id = Column(Integer, primary_key=True)
    label = Column(String(20), nullable=False, unique=True)
"""

_counter = iter(range(10**6))


@pytest.fixture
def project(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A project directory with a migrations folder, importable model modules and a
    Config for the backend's fresh database."""
    monkeypatch.syspath_prepend(str(tmp_path))

    class Project:
        root = tmp_path
        url = db_url

        def models(self, source: str) -> str:
            name = f"models_{next(_counter)}"
            (tmp_path / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
            return f"{name}:Base"

        def config(self, models: str | None = None) -> Config:
            return Config(tmp_path / "migrations", db_url, models)

        def write_revision(self, rev: str, down: str | None, upgrade: str, downgrade: str) -> Path:
            body = (
                "import uow_orm as sa\nfrom uow_orm.migrate import op\n\n"
                f"revision = {rev!r}\ndown_revision = {down!r}\n\n\n"
                f"def upgrade():\n{textwrap.indent(textwrap.dedent(upgrade), '    ')}\n\n"
                f"def downgrade():\n{textwrap.indent(textwrap.dedent(downgrade), '    ')}\n"
            )
            path = tmp_path / "migrations" / "versions" / f"{rev}_manual.py"
            path.write_text(body, encoding="utf-8")
            return path

    commands.init(tmp_path / "migrations")
    engine = create_engine(db_url)
    yield Project()
    engine.dispose()
    for name in list(sys.modules):
        if name.startswith("models_") or name.startswith("uow_orm_revision_"):
            del sys.modules[name]


def _tables(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        return [t for t in inspect(engine).get_table_names() if t != "uow_orm_version"]
    finally:
        engine.dispose()


def _columns(url: str, table: str) -> dict[str, dict[str, Any]]:
    engine = create_engine(url)
    try:
        return {c["name"]: c for c in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def _sql(url: str, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return [tuple(r) for r in result] if result.keys() else []
    finally:
        engine.dispose()


# -- the tutorial walk ----------------------------------------------------------------------
def test_models_to_revisions_upgrade_change_and_downgrade(project: Any) -> None:
    v1 = project.models(MODELS_V1)
    first = commands.revision(project.config(v1), "create users", autogenerate=True)
    assert "op.create_table(\n        'users'" in first.read_text()
    assert commands.upgrade(project.config()) == [first.name.split("_")[0]]
    assert _tables(project.url) == ["addresses", "users"]
    assert not commands.check(project.config(v1))
    _sql(project.url, "INSERT INTO users (id, name) VALUES (1, 'ada')")
    _sql(project.url, "INSERT INTO addresses (id, user_id, email) VALUES (1, 1, 'a@x')")

    v2 = project.models(MODELS_V2)
    found = commands.check(project.config(v2))
    assert "add table 'tags'" in found.descriptions
    assert any("users.name" in d and "varchar(80)" in d for d in found.descriptions), (
        found.descriptions
    )
    second = commands.revision(project.config(v2), "bio, status and tags", autogenerate=True)
    commands.upgrade(project.config())
    assert not commands.check(project.config(v2)), commands.check(project.config(v2)).descriptions
    # Existing rows survive; the new NOT NULL column took its server default.
    assert _sql(project.url, "SELECT id, name, bio, status FROM users") == [
        (1, "ada", None, "active")
    ]
    assert _sql(project.url, "SELECT id, user_id, email FROM addresses") == [(1, 1, "a@x")]
    assert _columns(project.url, "users")["name"]["type"].length == 80

    commands.downgrade(project.config(), "-1")
    assert commands.current(project.config()) == [first.name.split("_")[0]]
    assert not commands.check(project.config(v1))
    assert _sql(project.url, "SELECT id, name FROM users") == [(1, "ada")]
    assert "tags" not in _tables(project.url)
    assert [r.revision for r in commands.history(project.config())] == [
        second.name.split("_")[0],
        first.name.split("_")[0],
    ]
    commands.downgrade(project.config(), "base")
    assert _tables(project.url) == []
    assert commands.current(project.config()) == []


def test_an_enum_column_migrates_as_the_model_creates_it(project: Any, backend: str) -> None:
    models = project.models(
        """
        import enum
        from uow_orm import Column, Enum, Integer
        from uow_orm.orm import declarative_base

        Base = declarative_base()


        class Mood(enum.Enum):
            HAPPY = "happy"
            SAD = "sad"


        class Person(Base):
            __tablename__ = "people"
            id = Column(Integer, primary_key=True)
            mood = Column(Enum(Mood))
        """
    )
    rev = commands.revision(project.config(models), "people", autogenerate=True)
    assert "sa.Enum('HAPPY', 'SAD', name='mood')" in rev.read_text()
    commands.upgrade(project.config())
    assert not commands.check(project.config(models)), commands.check(
        project.config(models)
    ).descriptions
    _sql(project.url, "INSERT INTO people (id, mood) VALUES (1, 'SAD')")  # stored by name
    renamed = project.models(
        """
        from uow_orm import Column, Enum, Integer
        from uow_orm.orm import declarative_base

        Base = declarative_base()


        class Person(Base):
            __tablename__ = "people"
            id = Column(Integer, primary_key=True)
            mood = Column(Enum("happy", "sad", name="feeling", native_enum=False, length=12))
        """
    )
    assert any("people.mood" in d for d in commands.check(project.config(renamed)).descriptions)
    if backend == "postgresql":  # a native ENUM: the database itself refuses other values
        with pytest.raises(exc.DataError):
            _sql(project.url, "INSERT INTO people (id, mood) VALUES (2, 'angry')")
        assert _sql(project.url, "SELECT typname FROM pg_type WHERE typname = 'mood'") == [
            ("mood",)
        ]
    commands.downgrade(project.config(), "base")
    assert _tables(project.url) == []
    if backend == "postgresql":  # the type went with its table
        assert _sql(project.url, "SELECT typname FROM pg_type WHERE typname = 'mood'") == []


def test_foreign_keys_still_enforced_after_a_rebuild(project: Any) -> None:
    v1 = project.models(MODELS_V1)
    commands.revision(project.config(v1), "one", autogenerate=True)
    commands.upgrade(project.config())
    commands.revision(project.config(project.models(MODELS_V2)), "two", autogenerate=True)
    commands.upgrade(project.config())
    _sql(project.url, "INSERT INTO users (id, name) VALUES (1, 'ada')")
    _sql(project.url, "INSERT INTO addresses (id, user_id) VALUES (1, 1)")
    with pytest.raises(exc.IntegrityError):
        _sql(project.url, "INSERT INTO addresses (id, user_id) VALUES (2, 99)")
    _sql(project.url, "DELETE FROM users WHERE id = 1")  # ON DELETE CASCADE kept
    assert _sql(project.url, "SELECT count(*) FROM addresses") == [(0,)]


# -- transactions ---------------------------------------------------------------------------
def test_a_failing_revision_leaves_the_database_at_the_previous_one(project: Any) -> None:
    project.write_revision(
        "r1",
        None,
        "op.create_table('a', sa.Column('id', sa.Integer(), primary_key=True))",
        "op.drop_table('a')",
    )
    project.write_revision(
        "r2",
        "r1",
        """
        op.create_table('b', sa.Column('id', sa.Integer(), primary_key=True))
        op.add_column('a', sa.Column('x', sa.Integer()))
        op.execute("INSERT INTO nowhere VALUES (1)")
        """,
        "op.drop_table('b')",
    )
    with pytest.raises(exc.DBAPIError):
        commands.upgrade(project.config())
    assert commands.current(project.config()) == ["r1"]
    assert _tables(project.url) == ["a"]
    assert list(_columns(project.url, "a")) == ["id"]


# -- the revision graph ---------------------------------------------------------------------
def test_branches_merge_and_relative_targets(project: Any) -> None:
    create = "op.create_table({0!r}, sa.Column('id', sa.Integer(), primary_key=True))"
    project.write_revision("base1", None, create.format("t0"), "op.drop_table('t0')")
    project.write_revision("left", "base1", create.format("t1"), "op.drop_table('t1')")
    project.write_revision("right", "base1", create.format("t2"), "op.drop_table('t2')")
    config = project.config()
    assert commands.heads(config) == ["left", "right"]
    with pytest.raises(MigrationError, match="several heads"):
        commands.upgrade(config, "head")
    assert commands.upgrade(config, "heads") == ["left", "right"]
    assert _tables(project.url) == ["t0", "t1", "t2"]
    merged = commands.revision(config, "merge", merge=True)
    assert "down_revision = ('left', 'right')" in merged.read_text()
    merge_id = merged.name.split("_")[0]
    assert commands.upgrade(config) == [merge_id]
    assert commands.downgrade(config, "left") == ["left"]
    assert _tables(project.url) == ["t0", "t1"]
    assert commands.downgrade(config, "-1") == ["base1"]
    assert commands.upgrade(config, "+1") in (["left"], ["right"])
    with pytest.raises(MigrationError, match="no revision"):
        commands.upgrade(config, "nope")


def test_stamp_records_without_running(project: Any) -> None:
    project.write_revision(
        "r1",
        None,
        "op.create_table('a', sa.Column('id', sa.Integer(), primary_key=True))",
        "op.drop_table('a')",
    )
    assert commands.stamp(project.config(), "head") == ["r1"]
    assert commands.current(project.config()) == ["r1"]
    assert _tables(project.url) == []
    assert commands.stamp(project.config(), "base") == []
    assert commands.current(project.config()) == []


def test_bad_revision_files_are_refused_by_name(project: Any) -> None:
    project.write_revision("r1", "missing", "pass", "pass")
    with pytest.raises(MigrationError, match="missing"):
        commands.heads(project.config())


def test_op_outside_a_migration_raises() -> None:
    with pytest.raises(MigrationError, match="only available while a migration runs"):
        op.create_table("x")


# -- operations -----------------------------------------------------------------------------
def test_column_constraint_and_index_operations(project: Any, backend: str) -> None:
    project.write_revision(
        "r1",
        None,
        """
        op.create_table('parent', sa.Column('id', sa.Integer(), primary_key=True),
                        sa.Column('code', sa.String(10), nullable=False))
        t = op.create_table('child', sa.Column('id', sa.Integer(), primary_key=True),
                            sa.Column('parent_id', sa.Integer()), sa.Column('n', sa.Integer()))
        op.bulk_insert(t, [{'id': 1, 'parent_id': None, 'n': 5}, {'id': 2, 'parent_id': None, 'n': 7}])
        op.create_index('ix_child_n', 'child', ['n'])
        op.rename_table('child', 'kid')
        op.add_column('kid', sa.Column('note', sa.String(20), server_default='x'))
        """,
        "op.drop_table('kid')\nop.drop_table('parent')",
    )
    project.write_revision(
        "r2",
        "r1",
        """
        with op.batch_alter_table('kid') as batch_op:
            batch_op.alter_column('n', new_column_name='amount', nullable=False)
            batch_op.create_foreign_key('fk_kid_parent', 'parent', ['parent_id'], ['id'])
            batch_op.create_unique_constraint('uq_kid_amount', ['amount'])
            batch_op.create_check_constraint('ck_kid_amount', 'amount > 0')
            batch_op.drop_column('note')
        """,
        """
        with op.batch_alter_table('kid') as batch_op:
            batch_op.drop_constraint('ck_kid_amount', type_='check')
            batch_op.drop_constraint('uq_kid_amount', type_='unique')
            batch_op.drop_constraint('fk_kid_parent', type_='foreignkey')
            batch_op.alter_column('amount', new_column_name='n', nullable=True)
            batch_op.add_column(sa.Column('note', sa.String(20), server_default='x'))
        """,
    )
    config = project.config()
    commands.upgrade(config, "r1")
    assert _sql(project.url, "SELECT id, n, note FROM kid ORDER BY id") == [
        (1, 5, "x"),
        (2, 7, "x"),
    ]
    commands.upgrade(config)
    engine = create_engine(project.url)
    insp = inspect(engine)
    cols = {c["name"]: c for c in insp.get_columns("kid")}
    assert list(cols) == ["id", "parent_id", "amount"]
    assert cols["amount"]["nullable"] is False
    assert [fk["name"] for fk in insp.get_foreign_keys("kid")] == ["fk_kid_parent"]
    assert insp.get_unique_constraints("kid") == [
        {"name": "uq_kid_amount", "column_names": ["amount"]}
    ]
    assert [c["name"] for c in insp.get_check_constraints("kid")] == ["ck_kid_amount"]
    assert [ix["name"] for ix in insp.get_indexes("kid")] == ["ix_child_n"]
    engine.dispose()
    assert _sql(project.url, "SELECT id, amount FROM kid ORDER BY id") == [(1, 5), (2, 7)]
    with pytest.raises(exc.IntegrityError):
        _sql(project.url, "INSERT INTO kid (id, amount) VALUES (3, -1)")
    with pytest.raises(exc.IntegrityError):
        _sql(project.url, "INSERT INTO kid (id, parent_id, amount) VALUES (3, 99, 9)")
    commands.downgrade(config, "r1")
    assert list(_columns(project.url, "kid")) == ["id", "parent_id", "n", "note"]
    assert _sql(project.url, "SELECT id, n, note FROM kid ORDER BY id") == [
        (1, 5, "x"),
        (2, 7, "x"),
    ]


def test_alter_column_outside_batch_on_sqlite_says_what_to_do(project: Any, backend: str) -> None:
    project.write_revision(
        "r1",
        None,
        """
        op.create_table('a', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('x', sa.Integer()))
        op.alter_column('a', 'x', nullable=False)
        """,
        "op.drop_table('a')",
    )
    if backend == "postgresql":
        commands.upgrade(project.config())
        assert _columns(project.url, "a")["x"]["nullable"] is False
    else:
        with pytest.raises(exc.NotSupportedError, match="batch_alter_table"):
            commands.upgrade(project.config())
        assert _tables(project.url) == []


def test_sqlite_rebuild_keeps_self_references_views_and_referencing_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    _sql(
        url,
        "CREATE TABLE node (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES node (id), label TEXT)",
    )
    _sql(
        url,
        "CREATE TABLE tag (id INTEGER PRIMARY KEY, node_id INTEGER REFERENCES node (id) ON DELETE CASCADE)",
    )
    _sql(url, "CREATE VIEW labels AS SELECT label FROM node")
    _sql(url, "INSERT INTO node VALUES (1, NULL, 'root'), (2, 1, 'leaf')")
    _sql(url, "INSERT INTO tag VALUES (10, 2)")
    commands.init(tmp_path / "m")
    (tmp_path / "m" / "versions" / "r1_x.py").write_text(
        "import uow_orm as sa\nfrom uow_orm.migrate import op\nrevision = 'r1'\ndown_revision = None\n"
        "def upgrade():\n    with op.batch_alter_table('node') as b:\n"
        "        b.alter_column('label', type_=sa.String(30), nullable=False)\n"
        "        b.add_column(sa.Column('depth', sa.Integer(), nullable=False, server_default='0'))\n"
        "def downgrade():\n    pass\n",
        encoding="utf-8",
    )
    commands.upgrade(Config(tmp_path / "m", url))
    # Every row, the tag that references node, the self-reference and the view remain.
    assert _sql(url, "SELECT id, parent_id, label, depth FROM node ORDER BY id") == [
        (1, None, "root", 0),
        (2, 1, "leaf", 0),
    ]
    assert _sql(url, "SELECT * FROM tag") == [(10, 2)]
    assert _sql(url, "SELECT label FROM labels ORDER BY label") == [("leaf",), ("root",)]
    engine = create_engine(url)
    assert inspect(engine).get_foreign_keys("node")[0]["referred_table"] == "node"
    engine.dispose()
    with pytest.raises(exc.IntegrityError):
        _sql(url, "INSERT INTO node (id, parent_id, label) VALUES (3, 42, 'x')")
    _sql(url, "DELETE FROM node WHERE id = 2")
    assert _sql(url, "SELECT count(*) FROM tag") == [(0,)]


def test_concurrently_needs_an_autocommit_block_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    _sql(pg_url, "CREATE TABLE big (id INTEGER PRIMARY KEY, n INTEGER)")
    commands.init(tmp_path / "m")
    versions = tmp_path / "m" / "versions"
    (versions / "r1_x.py").write_text(
        "from uow_orm.migrate import op\nrevision = 'r1'\ndown_revision = None\n"
        "def upgrade():\n    op.create_index('ix_big_n', 'big', ['n'], postgresql_concurrently=True)\n"
        "def downgrade():\n    pass\n",
        encoding="utf-8",
    )
    with pytest.raises(MigrationError, match="autocommit_block"):
        commands.upgrade(Config(tmp_path / "m", pg_url))
    (versions / "r1_x.py").write_text(
        "from uow_orm.migrate import op\nrevision = 'r1'\ndown_revision = None\n"
        "def upgrade():\n    with op.autocommit_block():\n"
        "        op.create_index('ix_big_n', 'big', ['n'], postgresql_concurrently=True)\n"
        "def downgrade():\n    with op.autocommit_block():\n"
        "        op.drop_index('ix_big_n', postgresql_concurrently=True)\n",
        encoding="utf-8",
    )
    sys.modules.pop("uow_orm_revision_r1_x", None)
    config = Config(tmp_path / "m", pg_url)
    commands.upgrade(config)
    engine = create_engine(pg_url)
    assert [ix["name"] for ix in inspect(engine).get_indexes("big")] == ["ix_big_n"]
    engine.dispose()
    commands.downgrade(config, "base")
    engine = create_engine(pg_url)
    assert inspect(engine).get_indexes("big") == []
    engine.dispose()


# -- autogenerate details -------------------------------------------------------------------
def test_generated_postgresql_revision_flags_locking_operations(project: Any, backend: str) -> None:
    v1 = project.models(MODELS_V1)
    commands.revision(project.config(v1), "one", autogenerate=True)
    commands.upgrade(project.config())
    v3 = project.models(
        MODELS_V1.replace("String(50), nullable=False", "String(90), nullable=False")
        .replace(
            "email = Column(String(100), index=True)",
            "email = Column(String(100), index=True)\n    score = Column(Integer, nullable=False)\n"
            '    __table_args__ = (Index("ix_addresses_score", "score"),)',
        )
        .replace("String, declarative_base", "String, declarative_base, Index")
    )
    source = commands.revision(project.config(v3), "two", autogenerate=True).read_text()
    if backend == "postgresql":
        assert "ACCESS EXCLUSIVE" in source  # the type change and the NOT NULL column
        assert "postgresql_concurrently=True" in source  # the index on an existing table
        assert "with op.batch_alter_table" not in source
    else:
        assert "with op.batch_alter_table('users') as batch_op:" in source
        assert "WARNING" not in source


def test_removed_tables_and_columns_are_dropped_and_restored_on_downgrade(project: Any) -> None:
    v2 = project.models(MODELS_V2)
    commands.revision(project.config(v2), "all", autogenerate=True)
    commands.upgrade(project.config())
    _sql(project.url, "INSERT INTO tags (id, label) VALUES (1, 'x')")
    v1 = project.models(MODELS_V1)
    source = commands.revision(project.config(v1), "shrink", autogenerate=True).read_text()
    assert "op.drop_table('tags')" in source
    commands.upgrade(project.config())
    assert not commands.check(project.config(v1))
    commands.downgrade(project.config(), "-1")
    assert not commands.check(project.config(v2)), commands.check(project.config(v2)).descriptions


# -- check, verify, sql and the command line ------------------------------------------------
def test_check_and_verify_fail_when_models_and_database_differ(project: Any, capsys: Any) -> None:
    v1 = project.models(MODELS_V1)
    commands.revision(project.config(v1), "one", autogenerate=True)
    common = ["-d", str(project.root / "migrations"), "--url", project.url, "--metadata", v1]
    assert main([*common, "check"]) == 1  # the database is empty
    assert main([*common, "upgrade", "head"]) == 0
    assert main([*common, "check"]) == 0
    assert main([*common, "verify"]) == 0
    assert "verified" in capsys.readouterr().out
    v2 = project.models(MODELS_V2)
    changed = ["-d", str(project.root / "migrations"), "--url", project.url, "--metadata", v2]
    assert main([*changed, "check"]) == 1
    assert "add table 'tags'" in capsys.readouterr().out
    assert main([*changed, "verify"]) == 1
    assert "after upgrade: add table 'tags'" in capsys.readouterr().out
    # A downgrade that forgets a table fails verify too.
    project.write_revision(
        "leaky",
        commands.heads(project.config())[0],
        "op.create_table('tags', sa.Column('id', sa.Integer(), primary_key=True),"
        " sa.Column('label', sa.String(20), nullable=False, unique=True))\n"
        "op.add_column('users', sa.Column('bio', sa.Text()))",
        "op.drop_column('users', 'bio')",
    )
    problems = commands.verify(project.config(v2))
    assert "after downgrade base: table 'tags' is left" in problems


def test_sql_prints_the_upgrade_without_touching_the_database(project: Any, capsys: Any) -> None:
    commands.revision(project.config(project.models(MODELS_V1)), "one", autogenerate=False)
    project.write_revision(
        "r2",
        commands.heads(project.config())[0],
        "op.create_table('t', sa.Column('id', sa.Integer(), primary_key=True))",
        "op.drop_table('t')",
    )
    assert main(["-d", str(project.root / "migrations"), "--url", project.url, "sql"]) == 0
    out = capsys.readouterr().out
    assert "CREATE TABLE t" in out
    assert "INSERT INTO uow_orm_version (version_num) VALUES ('r2')" in out
    assert out.count("BEGIN;") == 2
    assert _tables(project.url) == []


def test_settings_come_from_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.uow_orm.migrate]\ndirectory = "db/migrations"\nurl = "sqlite:///x.db"\n'
        'metadata = "app.models:Base"\n',
        encoding="utf-8",
    )
    config = Config.load(pyproject=tmp_path / "pyproject.toml")
    assert (config.directory, config.url, config.metadata) == (
        Path("db/migrations"),
        "sqlite:///x.db",
        "app.models:Base",
    )
    assert Config.load(url="sqlite://", pyproject=tmp_path / "pyproject.toml").url == "sqlite://"
    (tmp_path / "pyproject.toml").write_text(
        '[tool.uow_orm.migrate]\nurls = "x"\n', encoding="utf-8"
    )
    with pytest.raises(MigrationError, match="urls"):
        Config.load(pyproject=tmp_path / "pyproject.toml")


def test_cli_reports_errors_with_exit_status_2(tmp_path: Path, capsys: Any) -> None:
    assert main(["-d", str(tmp_path / "none"), "--url", "sqlite://", "heads"]) == 2
    assert "init" in capsys.readouterr().err


# -- CHECK constraints, comments and PostgreSQL ENUM types in autogenerate ----------------
CHECKS_V1 = """
from uow_orm import CheckConstraint, Column, Integer, declarative_base

Base = declarative_base()


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (
        CheckConstraint("qty >= 0", name="ck_items_qty"),
        {"comment": "stock items"},
    )
    id = Column(Integer, primary_key=True)
    qty = Column(Integer, nullable=False, comment="units in stock")
"""

CHECKS_V2 = """
from uow_orm import CheckConstraint, Column, Integer, declarative_base

Base = declarative_base()


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (
        CheckConstraint("qty < 1000", name="ck_items_max"),
        CheckConstraint("id > 0"),
        {"comment": "stock items, v2"},
    )
    id = Column(Integer, primary_key=True)
    qty = Column(Integer, nullable=False)
"""


def _refused(url: str, sql: str) -> bool:
    try:
        _sql(url, sql)
    except exc.IntegrityError:
        return True
    return False


def test_autogenerate_writes_and_compares_checks_and_comments(project: Any, backend: str) -> None:
    v1 = project.models(CHECKS_V1)
    first = commands.revision(project.config(v1), "items", autogenerate=True).read_text()
    assert "sa.CheckConstraint('qty >= 0', name='ck_items_qty')" in first
    assert "comment='stock items'" in first and "comment='units in stock'" in first
    commands.upgrade(project.config())
    assert not commands.check(project.config(v1)), commands.check(project.config(v1)).descriptions
    assert _refused(project.url, "INSERT INTO items (id, qty) VALUES (1, -1)")

    v2 = project.models(CHECKS_V2)
    found = commands.check(project.config(v2)).descriptions
    assert "add check constraint 'ck_items_max' on items" in found
    assert "remove check constraint 'ck_items_qty' on items" in found
    assert "add check constraint on items (id > 0)" in found
    comment_changes = [d for d in found if "comment" in d]
    if backend == "postgresql":
        assert comment_changes == [
            "change comment of table items from 'stock items' to 'stock items, v2'",
            "change comment of items.qty from 'units in stock' to None",
        ]
    else:  # SQLite keeps no comments: nothing to compare
        assert comment_changes == []
    commands.revision(project.config(v2), "v2", autogenerate=True)
    commands.upgrade(project.config())
    assert not commands.check(project.config(v2)), commands.check(project.config(v2)).descriptions
    _sql(project.url, "INSERT INTO items (id, qty) VALUES (1, -1)")  # the old check is gone
    assert _refused(project.url, "INSERT INTO items (id, qty) VALUES (2, 5000)")
    assert _refused(project.url, "INSERT INTO items (id, qty) VALUES (-3, 1)")
    engine = create_engine(project.url)
    insp = inspect(engine)
    names = sorted(str(c["name"]) for c in insp.get_check_constraints("items"))
    if backend == "postgresql":
        assert insp.get_table_comment("items") == {"text": "stock items, v2"}
        assert insp.get_columns("items")[1]["comment"] is None
    engine.dispose()
    assert "ck_items_max" in names and "ck_items_qty" not in names

    _sql(project.url, "DELETE FROM items")
    commands.downgrade(project.config(), "-1")
    assert not commands.check(project.config(v1)), commands.check(project.config(v1)).descriptions
    assert _refused(project.url, "INSERT INTO items (id, qty) VALUES (1, -1)")
    _sql(project.url, "INSERT INTO items (id, qty) VALUES (2, 5000)")


def test_check_and_comment_operations_on_an_existing_table(project: Any, backend: str) -> None:
    project.write_revision(
        "a1",
        None,
        """
        op.create_table("t", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("n", sa.Integer))
        with op.batch_alter_table("t") as batch_op:
            batch_op.create_check_constraint("ck_t_n", "n > 0")
            batch_op.alter_column("n", comment="a number")
        op.create_table_comment("t", "numbers, 100% sure")
        """,
        "op.drop_table('t')",
    )
    commands.upgrade(project.config())
    assert _refused(project.url, "INSERT INTO t (id, n) VALUES (1, 0)")
    engine = create_engine(project.url)
    insp = inspect(engine)
    expected = ("numbers, 100% sure", "a number") if backend == "postgresql" else (None, None)
    assert (insp.get_table_comment("t")["text"], insp.get_columns("t")[1]["comment"]) == expected
    engine.dispose()
    from uow_orm.migrate.operations import Operations

    offline = Operations(create_engine("sqlite://").dialect, None, emit=lambda sql: None)
    with pytest.raises(exc.ArgumentError, match="comment"):
        offline.alter_column("t", "n", comment=True)


ENUM_MODELS = """
import enum
from uow_orm import Column, Enum, Integer, String
from uow_orm.orm import declarative_base

Base = declarative_base()


class Person(Base):
    __tablename__ = "people"
    id = Column(Integer, primary_key=True)
    mood = Column(Enum({moods}, name="mood"))
{extra}
"""


def test_postgresql_enum_values_added_removed_and_new_types(pg_url: str, tmp_path: Path) -> None:
    commands.init(tmp_path / "migrations")
    sys.path.insert(0, str(tmp_path))
    try:

        def models(name: str, moods: str, extra: str = "") -> str:
            source = ENUM_MODELS.format(moods=moods, extra=extra)
            (tmp_path / f"models_enum_{name}.py").write_text(source, encoding="utf-8")
            return f"models_enum_{name}:Base"

        def config(m: str | None = None) -> Config:
            return Config(tmp_path / "migrations", pg_url, m)

        v1 = models("v1", "'sad', 'ok'")
        commands.revision(config(v1), "people", autogenerate=True)
        commands.upgrade(config())
        _sql(pg_url, "INSERT INTO people (id, mood) VALUES (1, 'sad')")
        # A value added (in the middle), and a new type on an existing table.
        v2 = models(
            "v2",
            "'sad', 'meh', 'ok'",
            "    level = Column(Enum('low', 'high', name='level'))",
        )
        found = commands.check(config(v2)).descriptions
        assert "change values of enum type 'mood' from ['sad', 'ok'] to ['sad', 'meh', 'ok']" in (
            found
        )
        assert "add enum type 'level'" in found and "add column people.level" in found
        second = commands.revision(config(v2), "meh", autogenerate=True).read_text()
        assert "op.alter_enum('mood', ['sad', 'meh', 'ok'], existing_values=['sad', 'ok'])" in (
            second
        )
        commands.upgrade(config())
        assert not commands.check(config(v2)), commands.check(config(v2)).descriptions
        _sql(pg_url, "INSERT INTO people (id, mood, level) VALUES (2, 'meh', 'high')")
        engine = create_engine(pg_url)
        enums = {e["name"]: e["labels"] for e in inspect(engine).get_enums()}
        engine.dispose()
        assert enums == {"mood": ["sad", "meh", "ok"], "level": ["low", "high"]}
        # A value removed: the type is rebuilt and the rows keep their values.
        v3 = models("v3", "'sad', 'meh'", "    level = Column(Enum('low', 'high', name='level'))")
        commands.revision(config(v3), "no ok", autogenerate=True)
        commands.upgrade(config())
        assert not commands.check(config(v3)), commands.check(config(v3)).descriptions
        assert _sql(pg_url, "SELECT id, mood FROM people ORDER BY id") == [(1, "sad"), (2, "meh")]
        with pytest.raises(exc.DataError):
            _sql(pg_url, "INSERT INTO people (id, mood) VALUES (3, 'ok')")
        # Down again: 'ok' comes back, then 'meh' and the level type go (no row uses them).
        _sql(pg_url, "DELETE FROM people WHERE id = 2")
        commands.downgrade(config(), "-2")
        assert not commands.check(config(v1)), commands.check(config(v1)).descriptions
        assert _sql(pg_url, "SELECT typname FROM pg_type WHERE typname = 'level'") == []
        assert _sql(pg_url, "SELECT id, mood FROM people") == [(1, "sad")]
    finally:
        sys.path.remove(str(tmp_path))
        for name in list(sys.modules):
            if name.startswith("models_enum_") or name.startswith("uow_orm_revision_"):
                del sys.modules[name]


def test_enum_values_change_migrates_on_both_backends(project: Any, backend: str) -> None:
    def models(moods: str) -> str:
        return project.models(
            ENUM_MODELS.format(moods=f"{moods}, create_constraint=True", extra="")
        )

    v1, v2 = models("'sad', 'ok'"), models("'sad', 'ok', 'meh'")
    commands.revision(project.config(v1), "people", autogenerate=True)
    commands.upgrade(project.config())
    _sql(project.url, "INSERT INTO people (id, mood) VALUES (1, 'ok')")
    # PostgreSQL alters the ENUM type; SQLite rebuilds the column with its new CHECK.
    assert commands.check(project.config(v2))
    commands.revision(project.config(v2), "meh", autogenerate=True)
    commands.upgrade(project.config())
    assert not commands.check(project.config(v2)), commands.check(project.config(v2)).descriptions
    _sql(project.url, "INSERT INTO people (id, mood) VALUES (2, 'meh')")
    with pytest.raises((exc.IntegrityError, exc.DataError)):
        _sql(project.url, "INSERT INTO people (id, mood) VALUES (3, 'angry')")
    assert _sql(project.url, "SELECT id, mood FROM people ORDER BY id") == [(1, "ok"), (2, "meh")]
    _sql(project.url, "DELETE FROM people WHERE id = 2")
    commands.downgrade(project.config(), "-1")
    assert not commands.check(project.config(v1)), commands.check(project.config(v1)).descriptions
    with pytest.raises((exc.IntegrityError, exc.DataError)):
        _sql(project.url, "INSERT INTO people (id, mood) VALUES (2, 'meh')")
    assert _sql(project.url, "SELECT id, mood FROM people") == [(1, "ok")]


MANY_CHECKS = """
import enum
from uow_orm import Boolean, CheckConstraint, Column, Enum, Integer, String, declarative_base

Base = declarative_base()


class Gadget(Base):
    __tablename__ = "gadgets"
    __table_args__ = (CheckConstraint("price >= cost"), {"comment": "it's gadgets"})
    id = Column(Integer, primary_key=True)
    price = Column(Integer, CheckConstraint("price > 0", name="ck_gadgets_price"))
    cost = Column(Integer, CheckConstraint("cost >= 0"), nullable=False, server_default="0")
    live = Column(Boolean(create_constraint=True), comment="on sale")
    size = Column(Enum("s", "m", "l", name="size", native_enum=False, create_constraint=True))
    name = Column(String(20), CheckConstraint("length(name) > 1", name="ck_gadgets_name"))
"""


def test_check_is_clean_for_unchanged_models_with_every_kind_of_check(
    project: Any, backend: str
) -> None:
    models = project.models(MANY_CHECKS)
    commands.revision(project.config(models), "gadgets", autogenerate=True)
    commands.upgrade(project.config())
    assert not commands.check(project.config(models)), commands.check(
        project.config(models)
    ).descriptions
    assert _refused(project.url, "INSERT INTO gadgets (id, price, cost) VALUES (1, 5, 9)")
    assert _refused(
        project.url, "INSERT INTO gadgets (id, price, cost, size) VALUES (2, 9, 1, 'x')"
    )
    # A database made by create_all() compares clean too.
    commands.downgrade(project.config(), "base")
    import importlib

    module, _, attr = models.partition(":")
    engine = create_engine(project.url)
    getattr(importlib.import_module(module), attr).metadata.create_all(engine)
    engine.dispose()
    commands.stamp(project.config(), "head")
    assert not commands.check(project.config(models)), commands.check(
        project.config(models)
    ).descriptions
