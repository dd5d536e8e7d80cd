"""The package's layering: imports run one way, and module docstrings say who imports them.

Both checks read the source with ``ast`` (nothing is imported), so they see every import:
module level, inside functions and under ``if TYPE_CHECKING:``. Type-only imports COUNT: a
lower layer that names an upper layer's class in an annotation still depends on it (it
must change when that class changes), so it must go through a protocol of a lower layer
instead (``uow_orm/_typing.py``, ``uow_orm/orm/base.py``).

The layers, from the top (a module may import its own layer and any layer below it)::

    package     uow_orm, uow_orm.demo, uow_orm.inspection
    tools       uow_orm.ext.*, uow_orm.migrate.*
    session     uow_orm.orm (package), orm.session, scoping, query, retry, interfaces, factory
    session internals   orm.transaction, savepoint, lifecycle, merge, tracking, routing, bulk,
                        binds, execution, expiry, lookup, seams, flush, exclusive
    unit of work        orm.unitofwork, dependencies, sync
    persistence         orm.persistence, joined_flush
    mapping and loading orm.declarative, mapper, properties, relationships, attributes,
                        state, identity, loading, strategies, strategy_options, util,
                        join_mapping, subquery_mapping
    orm vocabulary      orm.base, orm.exc
    reflection  engine.reflection, dialects.catalog, dialects.*_catalog, uow_orm.engine (package)
    sql         uow_orm.sql.*, schema, types, _typebase, _generic_types, the dialect type
                vocabularies (dialects.*_types, postgresql_ranges, _vendor, mysql, mssql, oracle)
    engine      engine.base, create, pool, result, url
    dialects    uow_orm.dialects (package), dialects.base, sqlite, postgresql
    leaf        exc, event, _typing

Column types sit with the SQL expression language (as in SQLAlchemy's ``sqlalchemy.sql``):
their comparators build expression elements, and elements carry types. Reflection builds
``Table`` objects from catalog queries, so it is above ``sql`` although it lives in
``engine/``.

An import against the direction that has to stay for a while is listed, with a reason, in
`KNOWN_VIOLATIONS`. The test also fails when a listed pair no longer occurs, so the list
can only shrink.
"""

from __future__ import annotations

import ast
import fnmatch
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "uow_orm"

# (layer name, patterns of module names); highest layer first. A pattern ending in ".*"
# matches every module below that package; the first matching pattern wins.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "package",
        (
            "uow_orm",
            "uow_orm.demo",
            "uow_orm.inspection",
            "uow_orm.testing",
            "uow_orm.pool",
            "uow_orm.util",
            "uow_orm.util.langhelpers",
            # public namespaces that only re-export (as sqlalchemy.schema and its dialects)
            "uow_orm.schema",
            "uow_orm.dialects.sqlite",
            "uow_orm.dialects.sqlite.*",
            "uow_orm.dialects.postgresql",
            "uow_orm.dialects.postgresql.*",
            "uow_orm.sql.expression",
            "uow_orm.sql.base",
        ),
    ),
    ("tools", ("uow_orm.ext", "uow_orm.ext.*", "uow_orm.migrate", "uow_orm.migrate.*")),
    (
        "session",
        (
            "uow_orm.orm",
            "uow_orm.orm.session",
            "uow_orm.orm.scoping",
            "uow_orm.orm.retry",
            "uow_orm.orm.interfaces",
            "uow_orm.orm.factory",
            "uow_orm.orm.session_events",
        ),
    ),
    (
        "session internals",
        (
            "uow_orm.orm.transaction",
            "uow_orm.orm.savepoint",
            "uow_orm.orm.lifecycle",
            "uow_orm.orm.merge",
            "uow_orm.orm.tracking",
            "uow_orm.orm.routing",
            "uow_orm.orm.bulk",
            "uow_orm.orm.binds",
            "uow_orm.orm.execution",
            "uow_orm.orm.expiry",
            "uow_orm.orm.lookup",
            "uow_orm.orm.seams",
            "uow_orm.orm.flush",
            "uow_orm.orm.exclusive",
        ),
    ),
    ("unit of work", ("uow_orm.orm.unitofwork", "uow_orm.orm.dependencies", "uow_orm.orm.sync")),
    ("persistence", ("uow_orm.orm.persistence", "uow_orm.orm.joined_flush")),
    (
        "mapping and loading",
        (
            "uow_orm.orm.declarative",
            "uow_orm.orm.declarative_helpers",
            "uow_orm.orm.mapper",
            "uow_orm.orm.properties",
            "uow_orm.orm.relationships",
            "uow_orm.orm.attributes",
            "uow_orm.orm.state",
            "uow_orm.orm.identity",
            "uow_orm.orm.loading",
            "uow_orm.orm.strategies",
            "uow_orm.orm.aliased_target",
            "uow_orm.orm.strategy_options",
            "uow_orm.orm.util",
            "uow_orm.orm.collections",
            "uow_orm.orm.alt_names",
            "uow_orm.orm.criteria",
            "uow_orm.orm.dynamic",
            "uow_orm.orm.joinconditions",
            "uow_orm.orm.writeonly",
            "uow_orm.orm.inheritance",
            "uow_orm.orm.polymorphic",
            "uow_orm.orm.events",
            "uow_orm.orm.base",
            "uow_orm.orm.query",
            "uow_orm.orm.lazy_warning",
            "uow_orm.orm.join_mapping",
            "uow_orm.orm.subquery_mapping",
            "uow_orm.orm.context",
            "uow_orm.orm.mapperlib",
            # re-exports under SQLAlchemy's module paths
            "uow_orm.orm.decl_api",
            "uow_orm.orm.descriptor_props",
            "uow_orm.orm.instrumentation",
            "uow_orm.orm.mapped_collection",
        ),
    ),
    ("orm vocabulary", ("uow_orm.orm.exc",)),
    (
        "reflection",
        (
            # The ``uow_orm.engine`` package re-exports ``Inspector``, so it sits here too.
            "uow_orm.engine",
            "uow_orm.engine.reflection",
            "uow_orm.dialects.catalog",
            "uow_orm.dialects.*_catalog",
        ),
    ),
    (
        "sql statements",
        (
            "uow_orm.sql",
            "uow_orm.sql.dml",
            "uow_orm.sql.ddl",
            "uow_orm.sql.ddl_elements",
            "uow_orm.sql.alter",
            "uow_orm.sql.upsert",
            "uow_orm.sql.constructors",
        ),
    ),
    ("schema", ("uow_orm.sql.schema",)),
    (
        "sql expressions",
        (
            "uow_orm.sql.*",
            "uow_orm.types",
            "uow_orm._typebase",
            "uow_orm._generic_types",
            "uow_orm.dialects.*_types",
            "uow_orm.dialects.postgresql_ranges",
            "uow_orm.dialects._vendor",
            "uow_orm.dialects.mysql",
            "uow_orm.dialects.mssql",
            "uow_orm.dialects.oracle",
        ),
    ),
    ("engine", ("uow_orm.engine.*",)),
    ("dialects", ("uow_orm.dialects", "uow_orm.dialects.*")),
    ("leaf", ("uow_orm.exc", "uow_orm.event", "uow_orm._typing", "uow_orm._processors")),
]

# Imports against the direction that exist today: (importer, imported). Every entry must
# still occur (the test fails on a stale one), so this list only shrinks.
KNOWN_VIOLATIONS: set[tuple[str, str]] = set()


# -- reading the package --------------------------------------------------------------------
def _module_files() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    found: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _module_files()


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    """ids of the nodes inside ``if TYPE_CHECKING:`` blocks."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
            if name == "TYPE_CHECKING":
                inside.update(id(sub) for stmt in node.body for sub in ast.walk(stmt))
    return inside


def _imported_modules(name: str, path: Path) -> dict[str, bool]:
    """The package modules ``name`` imports anywhere in its source (functions and
    ``TYPE_CHECKING`` blocks included), each with whether some import of it runs (False:
    type-only). ``from X import y`` is an import of ``X.y`` when that is a module, else of
    ``X``. Implicit imports of parent packages do not count."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = _type_checking_nodes(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: dict[str, bool] = {}

    def add(target: str, node: ast.AST) -> None:
        if target in MODULES and target != name:
            targets[target] = targets.get(target, False) or id(node) not in type_only

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            for alias in node.names:
                full = f"{source}.{alias.name}"
                add(full if full in MODULES else source, node)
    return targets


_WALKED = {name: _imported_modules(name, p) for name, p in MODULES.items()}
#: Every import, type-only ones included (what the layering checks).
IMPORTS: dict[str, set[str]] = {name: set(found) for name, found in _WALKED.items()}
#: Imports that run (what "Called by:" lines must name; type-only importers may be named).
RUNTIME_IMPORTS: dict[str, set[str]] = {
    name: {target for target, runs in found.items() if runs} for name, found in _WALKED.items()
}


def _matches(name: str, pattern: str) -> bool:
    if pattern.endswith(".*"):
        return name.startswith(pattern[:-1]) and fnmatch.fnmatchcase(name, pattern)
    return fnmatch.fnmatchcase(name, pattern)


def layer_of(name: str) -> int:
    """Rank of a module's layer: 0 for the top layer, larger further down."""
    for rank, (_label, patterns) in enumerate(LAYERS):
        if any(_matches(name, pattern) for pattern in patterns):
            return rank
    raise LookupError(name)


def violations() -> set[tuple[str, str]]:
    """(importer, imported) pairs where a module imports a layer above its own."""
    return {
        (importer, imported)
        for importer, imported_set in IMPORTS.items()
        for imported in imported_set
        if layer_of(imported) < layer_of(importer)
    }


# -- layering -------------------------------------------------------------------------------
def test_every_module_belongs_to_a_layer() -> None:
    unplaced = []
    for name in MODULES:
        try:
            layer_of(name)
        except LookupError:
            unplaced.append(name)
    assert unplaced == [], f"add these modules to LAYERS in {Path(__file__).name}: {unplaced}"


def test_imports_run_from_upper_layers_to_lower_ones() -> None:
    new = sorted(violations() - KNOWN_VIOLATIONS)
    labels = [
        f"{a} ({LAYERS[layer_of(a)][0]}) imports {b} ({LAYERS[layer_of(b)][0]})" for a, b in new
    ]
    assert labels == [], "imports against the layer direction:\n" + "\n".join(labels)


def test_known_violations_are_all_still_needed() -> None:
    stale = sorted(KNOWN_VIOLATIONS - violations())
    assert stale == [], f"fixed: remove these from KNOWN_VIOLATIONS: {stale}"


def test_the_import_walk_sees_imports_inside_functions_and_type_checking_blocks() -> None:
    # Guards the walk itself: known function-level and type-only imports are found.
    assert "uow_orm.orm.session" in IMPORTS["uow_orm.orm.scoping"]
    assert "uow_orm.dialects.base" in IMPORTS["uow_orm.engine.base"]  # TYPE_CHECKING only
    assert "uow_orm.exc" in IMPORTS["uow_orm.event"]
    assert layer_of("uow_orm.orm.session") < layer_of("uow_orm.sql.compiler")
    assert layer_of("uow_orm.sql.compiler") < layer_of("uow_orm.engine.base")
    assert layer_of("uow_orm.engine.base") < layer_of("uow_orm.dialects.sqlite_dialect")


# -- "Called by:" lines ---------------------------------------------------------------------
# The clause is the first sentence after "Called by:" in the module docstring. Module names
# in it are dotted names (``uow_orm.sql.compiler``; ``uow_orm.orm.*`` for every module below
# a package) or names relative to the module's own package (``session``, ``.loading``);
# ``code`` in double backticks, parenthesised remarks and words that name no module are
# free text ("applications", "the README").
CALLED_BY = re.compile(r"^Called by:(.*?)(?:\.\s+(?=[A-Z`(])|\.?\s*\n\s*\n|\.?\s*\Z)", re.M | re.S)
CODE = re.compile(r"``.*?``", re.S)
REMARK = re.compile(r"\([^()]*\)")
WORD = re.compile(r"[A-Za-z_]\w*(?:\.\w+)*(?:\.\*)?")
REQUIRED_UNDER = ("uow_orm.orm.", "uow_orm.sql.")

# Modules under orm/ and sql/ with no "Called by:" line yet. Only shrinks.
CALLED_BY_MISSING: set[str] = set()


def _package_of(name: str) -> str:
    return name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]


def _resolve(word: str, package: str) -> str | None:
    """The module (or ``pkg.*`` pattern) a word of a "Called by:" clause names, or None.
    A bare word names a module of the same package only (``session`` in ``orm/``)."""
    word = word.strip(".") if not word.endswith(".*") else word.lstrip(".")
    star = word.endswith(".*")
    base = word[:-2] if star else word
    candidates = [f"{package}.{base}"] + ([base, f"uow_orm.{base}"] if "." in base else [])
    if base == "uow_orm":
        candidates.append(base)
    for candidate in candidates:
        if candidate in MODULES:
            return f"{candidate}.*" if star else candidate
    return None


def called_by(name: str) -> list[str] | None:
    """The module names a module's docstring lists after "Called by:", or None when it has
    no such line. ``uow_orm.x.*`` names every module below ``uow_orm.x``."""
    doc = ast.get_docstring(ast.parse(MODULES[name].read_text(encoding="utf-8"))) or ""
    found = CALLED_BY.search(doc)
    if found is None:
        return None
    clause = CODE.sub(" ", found.group(1))
    while REMARK.search(clause):
        clause = REMARK.sub(" ", clause)
    package = _package_of(name)
    names = [_resolve(word, package) for word in WORD.findall(clause)]
    return [n for n in names if n is not None]


def importers_of(name: str, runtime_only: bool = False) -> set[str]:
    """The modules importing ``name`` (only those whose import runs, if ``runtime_only``)."""
    table = RUNTIME_IMPORTS if runtime_only else IMPORTS
    return {importer for importer, imported in table.items() if name in imported}


def _ancestors(name: str) -> set[str]:
    """The packages above a module (their ``__init__`` re-exports are not callers)."""
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def _covers(entry: str, module: str) -> bool:
    if entry.endswith(".*"):
        return module.startswith(entry[:-1])
    return module == entry


def called_by_errors(name: str) -> list[str]:
    """What is false about one module's "Called by:" line (empty when it is true)."""
    entries = called_by(name)
    if entries is None:
        return []
    importers = importers_of(name)
    required = importers_of(name, runtime_only=True) - _ancestors(name)
    errors = [
        f"{name} names {entry}, which does not import it"
        for entry in entries
        if not any(_covers(entry, importer) for importer in importers)
    ]
    errors += [
        f"{name} is imported by {importer}, which its Called by: line does not name"
        for importer in sorted(required)
        if not any(_covers(entry, importer) for entry in entries)
    ]
    return errors


@pytest.mark.parametrize("name", sorted(MODULES))
def test_called_by_line_names_exactly_the_importers(name: str) -> None:
    assert called_by_errors(name) == [], "a false 'Called by:' line"


def test_orm_and_sql_modules_have_a_called_by_line() -> None:
    required = {name for name in MODULES if name.startswith(REQUIRED_UNDER)}
    missing = {name for name in required if called_by(name) is None}
    assert sorted(missing - CALLED_BY_MISSING) == [], "add a 'Called by:' line"
    assert sorted(CALLED_BY_MISSING - missing) == [], "remove from CALLED_BY_MISSING"


def test_called_by_check_catches_a_false_and_a_missing_importer() -> None:
    # The checker itself: a name that does not import the module, and an importer left out.
    name = "uow_orm.sql.cache"
    assert "uow_orm.sql.compiler" in importers_of(name)
    assert not _covers("uow_orm.orm.*", "uow_orm.sql.compiler")
    assert _covers("uow_orm.orm.*", "uow_orm.orm.session")
    assert _resolve("`uow_orm.sql.compiler`".strip("`"), "uow_orm.engine") == "uow_orm.sql.compiler"
    assert _resolve("uow_orm.orm.*", "uow_orm.sql") == "uow_orm.orm.*"
    assert _resolve(".loading", "uow_orm.orm") == "uow_orm.orm.loading"
    assert _resolve("session", "uow_orm.orm") == "uow_orm.orm.session"
    assert _resolve("applications", "uow_orm.orm") is None


# -- function length ------------------------------------------------------------------------
MAX_FUNCTION_LINES = 60

# Functions longer than that today, as "module:qualified name". Each entry must still be
# too long (the test fails on a stale one), so the list only shrinks.
LONG_FUNCTIONS: set[str] = set()


def _long_functions() -> dict[str, int]:
    """``module:qualified name`` -> line count of every function (nested ones included)
    longer than `MAX_FUNCTION_LINES`, decorators and docstring counted."""
    found: dict[str, int] = {}

    def walk(node: ast.AST, module: str, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                qualname = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    length = (child.end_lineno or child.lineno) - child.lineno + 1
                    if length > MAX_FUNCTION_LINES:
                        found[f"{module}:{qualname}"] = length
                walk(child, module, qualname + ".")
            else:
                walk(child, module, prefix)

    for name, path in MODULES.items():
        walk(ast.parse(path.read_text(encoding="utf-8")), name, "")
    return found


def test_no_function_is_longer_than_sixty_lines() -> None:
    new = sorted(
        f"{n} ({c} lines)" for n, c in _long_functions().items() if n not in LONG_FUNCTIONS
    )
    assert new == [], "split these functions:\n" + "\n".join(new)


def test_long_functions_are_all_still_long() -> None:
    stale = sorted(LONG_FUNCTIONS - set(_long_functions()))
    assert stale == [], f"fixed: remove these from LONG_FUNCTIONS: {stale}"


# -- public namespaces that moved -------------------------------------------------------------
def test_uow_orm_schema_reexports_the_schema_objects_ddl_constructs_and_conv() -> None:
    import uow_orm.schema as public
    import uow_orm.sql.ddl as ddl
    import uow_orm.sql.naming as naming
    import uow_orm.sql.schema as impl

    constructs = {
        "BaseDDLElement",
        "CreateIndex",
        "CreateSchema",
        "CreateTable",
        "DDL",
        "DDLElement",
        "DropIndex",
        "DropSchema",
        "DropTable",
        "ExecutableDDLElement",
    }
    import uow_orm.sql.ddl_elements as ddl_elements

    elements = set(ddl_elements.__all__)
    assert set(public.__all__) == set(impl.__all__) | constructs | elements | {"conv"}
    assert all(getattr(public, name) is getattr(impl, name) for name in impl.__all__)
    assert all(getattr(public, name) is getattr(ddl, name) for name in constructs)
    assert all(getattr(public, name) is getattr(ddl_elements, name) for name in elements)
    assert public.conv is naming.conv


def test_public_dialect_namespaces_reexport_the_dialects_their_types_and_insert() -> None:
    from uow_orm import create_engine
    from uow_orm.dialects import postgresql, postgresql_dialect, sqlite, sqlite_dialect
    from uow_orm.sql.upsert import postgresql_insert, sqlite_insert

    assert sqlite.dialect is sqlite.SQLiteDialect is sqlite_dialect.SQLiteDialect
    assert postgresql.dialect is postgresql.PGDialect is postgresql_dialect.PGDialect
    # each namespace's insert() prints its statements in its dialect (str())
    assert sqlite.insert is sqlite_insert and postgresql.insert is postgresql_insert
    assert "JSONB" in postgresql.__all__ and "DATETIME" in sqlite.__all__
    assert type(create_engine("sqlite://").dialect) is sqlite.SQLiteDialect


def test_orm_execute_state_is_importable_where_sqlalchemy_has_it() -> None:
    from uow_orm.orm import ORMExecuteState
    from uow_orm.orm.session import ORMExecuteState as from_session

    assert from_session is ORMExecuteState
