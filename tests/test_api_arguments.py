"""No public argument is accepted and then ignored (issue 11, item 14).

A walk over the public API reads each function's source: every parameter must be used,
every ``self.x = param`` must be read somewhere in the package, and every ``**kw`` must be
a known forwarder or validator. Then the arguments that used to be swallowed are checked
one by one: each works (rows read back) or raises ``exc.ArgumentError`` naming it.
"""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import inspect
import re
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import uow_orm
from uow_orm import (
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    Session,
    String,
    Table,
    backref,
    declarative_base,
    exc,
    relationship,
    select,
    text,
    update,
)

PUBLIC_MODULES = (
    "uow_orm",
    "uow_orm.orm",
    "uow_orm.sql",
    "uow_orm.types",
    "uow_orm.schema",
    "uow_orm.event",
    "uow_orm.engine",
    "uow_orm.orm.relationships",
    "uow_orm.orm.session",
    "uow_orm.orm.query",
    "uow_orm.engine.base",
    "uow_orm.engine.pool",
    "uow_orm.engine.result",
    "uow_orm.sql.dml",
    "uow_orm.sql.selectable",
    "uow_orm.sql.elements",
    "uow_orm.engine.reflection",
    "uow_orm.engine.url",
    "uow_orm.ext.automap",
    "uow_orm.migrate",
    "uow_orm.migrate.operations",
    "uow_orm.migrate.batch",
)

# "**kw" that forwards to something which rejects unknown keys, or validates them itself.
KNOWN_KWARGS = {
    "generate_relationship": "forwards to relationship() / backref(), which refuse unknown keys",
    "create_session": "forwards to Session(), which raises TypeError for an unknown key",
    "MappedClassProtocol.__init__": "typing.Protocol's own __init__ (a protocol is not built)",
    "dynamic_loader": "forwards to relationship(), which refuses the keywords it does not know",
    "PrimaryKeyConstraint.__init__": "raises ArgumentError naming every key it is given",
    "URL.set": "dataclasses.replace() rejects unknown fields",
    "scoped_session.configure": "forwards to sessionmaker.configure; the next Session() "
    "raises TypeError for an unknown key",
    "_MappedInstanceMethods.__init__": "the mapped constructor raises TypeError for unknown keys",
    "Query.filter_by": "each key is an attribute, looked up (unknown raises)",
    "Query.with_for_update": "forwards to Select.with_for_update (explicit keywords)",
    "Query.params": "each key is a bind parameter value",
    "Query.execution_options": "forwards to Select.execution_options (checked there)",
    "Select.filter_by": "each key is an attribute, looked up (unknown raises)",
    "DMLStatement.filter_by": "each key is a column, looked up (unknown raises)",
    "DMLStatement.values": "each key is a column, looked up (unknown raises)",
    "Select.execution_options": "check_execution_options refuses options uow_orm lacks",
    "DMLStatement.execution_options": "check_execution_options refuses options uow_orm lacks",
    "TextClause.execution_options": "check_execution_options refuses options uow_orm lacks",
    "TextClause.bindparams": "each key is a parameter value",
    "TextClause.columns": "each key is a result column name, its value a type (checked)",
    "RelationshipAttribute.any": "each key is an attribute of the target (filter_by style)",
    "RelationshipAttribute.has": "each key is an attribute of the target (filter_by style)",
    "RelationshipProperty.__init__": "_refuse_unsupported raises for every key it gets",
    "relationship": "forwards to RelationshipProperty",
    "backref": "_refuse_unsupported checks the keys; the rest are relationship() arguments",
    "mapped_column": "stored, then passed to Column(), which rejects unknown keys",
    "sessionmaker.__init__": "passed to Session() on every call, which rejects unknown keys",
    "sessionmaker.configure": "passed to Session() on every call, which rejects unknown keys",
    "Connection.execution_options": "_checked_options refuses unknown options and values",
    "Engine.execution_options": "OptionEngine checks them with _checked_options",
    "Engine.update_execution_options": "_checked_options refuses unknown options and values",
    "BatchOperations.alter_column": "checked against the keys alter_column() takes",
    "BatchOperations.create_foreign_key": "checked against the keys create_foreign_key() takes",
    "BatchOperations.create_index": "checked when the batch is planned (_plan_create_index)",
    "Operations.create_table": "forwarded to Table(), which refuses keys it does not take",
    "Table.__init__": "info= and the reflection keys are taken; any other key raises",
    "Index.__init__": "checked against the dialect keywords Index takes (_INDEX_DIALECT_KW)",
    "composite": "the dataclass keys are taken; any other key raises ArgumentError",
    "registry.map_imperatively": "__mapper_args__ keys, checked as for a declarative class",
    "CompoundSelect.execution_options": "check_execution_options refuses options uow_orm lacks",
    "listen": "flags checked against event.FLAGS and then against what the event accepts",
    "listens_for": "forwards to listen()",
    "ORMExecuteState.update_execution_options": "passed to Session.execute(), whose "
    "statement's execution_options() refuses options uow_orm lacks",
    "Enum.__init__": "keys outside SQLAlchemy's Enum() raise; SQLAlchemy's raise unless default",
    "TypeDecorator.__init__": "passed to the impl type's constructor, which rejects unknown keys",
    "Comparator.op": "forwards to ColumnOperators.op (explicit keywords)",
    "engine_from_config": "passed to create_engine (explicit keywords)",
    "as_declarative": "passed to declarative_base (explicit keywords)",
    "TypeEngine.copy": "any keyword raises ArgumentError (copy takes none)",
    "to_instance": "passed to the type class's constructor (explicit keywords)",
}

# Parameters that are deliberately unused, with the reason.
_AUTOMAP_HOOK = "a naming hook: SQLAlchemy's signature, the default ignores some arguments"
KNOWN_UNUSED = {
    "generate_relationship(base)": _AUTOMAP_HOOK,
    "generate_relationship(direction)": _AUTOMAP_HOOK,
    "generate_relationship(local_cls)": _AUTOMAP_HOOK,
    "classname_for_table(base)": _AUTOMAP_HOOK,
    "classname_for_table(table)": _AUTOMAP_HOOK,
    "name_for_collection_relationship(base)": _AUTOMAP_HOOK,
    "name_for_collection_relationship(local_cls)": _AUTOMAP_HOOK,
    "name_for_collection_relationship(constraint)": _AUTOMAP_HOOK,
    "name_for_scalar_relationship(base)": _AUTOMAP_HOOK,
    "name_for_scalar_relationship(local_cls)": _AUTOMAP_HOOK,
    "name_for_scalar_relationship(constraint)": _AUTOMAP_HOOK,
    "Session.add(_warn)": "private flag for internal callers",
    "BulkMethods.bulk_save_objects(preserve_order)": "objects are already saved in order per class",
    "with_polymorphic(flat)": (
        "flat only changes how joined-table subclass tables are aliased; single-table "
        "hierarchies have one table"
    ),
    "QueryableAttribute.set(obj)": "abstract: subclasses implement it",
    "QueryableAttribute.set(value)": "abstract: subclasses implement it",
    "Bundle.create_row_processor(query)": "SQLAlchemy's hook signature; the row slice suffices",
    "FromClause.alias(flat)": "flat only changes how a join is aliased; this is one FROM",
    "DMLStatement.returning(sort_by_parameter_order)": (
        "rows already come back in parameter order (one statement per row or ordered VALUES)"
    ),
    "Dialect.engine_options_from_connect_args(connect_args)": "base dialect hook (overridden)",
    "Dialect.on_connect(dbapi_conn)": "base dialect hook (overridden)",
    "Dialect.begin_statement(isolation_level)": "base dialect hook (overridden)",
    "Dialect.begin_statement(begin_mode)": "base dialect hook (overridden)",
    "Dialect.is_disconnect(err)": "base dialect hook (overridden)",
    "Dialect.is_disconnect(dbapi_conn)": "base dialect hook (overridden)",
    "IdentityMap.add(obj)": "the object is reachable from its state; callers pass both",
    "TypeEngine.coerce_compared_value(op)": "SQLAlchemy's hook: the default keeps the type",
    "TypeEngine.coerce_compared_value(value)": "SQLAlchemy's hook: the default keeps the type",
    "TypeEngine.dialect_impl(dialect)": "a plain type is its own impl on every dialect",
    "TypeEngine.literal_processor(dialect)": "literals render the same on both dialects",
    "TypeDecorator.process_bind_param(dialect)": "SQLAlchemy's hook signature, for overrides",
    "TypeDecorator.process_result_value(dialect)": "SQLAlchemy's hook signature, for overrides",
    "TypeDecorator.process_literal_param(dialect)": "SQLAlchemy's hook signature, for overrides",
    "TypeDecorator.load_dialect_impl(dialect)": "SQLAlchemy's hook signature, for overrides",
}

# Values stored on self that are public attributes (read by users, not by the package).
KNOWN_STORED = {
    "ExceptionContext.__init__(original_exception)": "read by handle_error listeners",
    "ExceptionContext.__init__(sqlalchemy_exception)": "read by handle_error listeners",
    "UserDefinedOption.__init__(payload)": "read by the application's own do_orm_execute "
    "listeners (SQLAlchemy's contract for user-defined options)",
    "PropComparator.__init__(parentmapper)": "for subclasses, under SQLAlchemy's name",
    "PropComparator.__init__(adapt_to_entity)": "for subclasses, under SQLAlchemy's name",
    "Engine.__init__(echo)": "Engine.echo, as in SQLAlchemy",
    "RelationshipProperty.__init__(cascade)": "cascade_spec, the text as given",
    "RelationshipProperty.__init__(overlaps)": "accepted: uow_orm has no overlap warnings",
    "CompositeProperty.__init__(dataclass_kw)": "read with getattr by the dataclass mapping",
    "JSON.__init__(none_as_null)": (
        "public attribute; None is always SQL NULL (a documented difference from SQLAlchemy)"
    ),
    "Enum.__init__(validate_strings)": "public attribute; values are always checked (documented)",
    "Enum.__init__(values_callable)": "public attribute; applied when the members are read",
    "Enum.__init__(omit_aliases)": "public attribute; applied when the members are read",
    "Interval.__init__(day_precision)": "public attribute; only Oracle DDL uses it (not here)",
    "ColumnDefault.__init__(for_update)": "public attribute: the default is an onupdate",
    "_DeclaredBase.__init__(cascading)": (
        "without mapped inheritance every class runs the mixin's function, as cascading asks"
    ),
}

_PACKAGE = Path(uow_orm.__file__).parent
_SOURCE = "\n".join(p.read_text() for p in _PACKAGE.rglob("*.py"))


def _public_callables() -> Iterator[tuple[str, Callable[..., Any], type | None]]:
    seen: set[int] = set()

    def methods(cls: type) -> Iterator[tuple[str, Callable[..., Any], type | None]]:
        for klass in cls.__mro__:
            if not klass.__module__.startswith("uow_orm"):
                continue
            for attr, fn in vars(klass).items():
                public = attr == "__init__" or not attr.startswith("_")
                if public and inspect.isfunction(fn) and id(fn) not in seen:
                    seen.add(id(fn))
                    yield f"{klass.__name__}.{attr}", fn, klass

    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        names = getattr(module, "__all__", None)
        if names is None:  # no __all__: the public names defined there
            names = [
                n
                for n, v in vars(module).items()
                if not n.startswith("_") and getattr(v, "__module__", None) == module_name
            ]
        for name in names:
            obj = getattr(module, name)
            if inspect.isclass(obj):
                yield from methods(obj)
            elif inspect.isfunction(obj) and id(obj) not in seen:
                seen.add(id(obj))
                yield name, obj, None


def _is_interface(fn: Callable[..., Any], owner: type | None, tree: ast.FunctionDef) -> bool:
    """An abstract method, or an override whose signature is its base's interface."""
    body = [
        n for n in tree.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))
    ]
    if len(body) == 1 and isinstance(body[0], (ast.Raise, ast.Pass)):
        return True
    if len(body) == 1 and isinstance(body[0], ast.Return):
        value = body[0].value
        if value is None or (isinstance(value, ast.Constant) and value.value is None):
            return True
    if owner is not None and fn.__name__ != "__init__":
        return any(fn.__name__ in vars(base) for base in owner.__mro__[1:])
    return False


def _audit() -> list[str]:
    problems = []
    for qualname, fn, owner in _public_callables():
        try:
            source = textwrap.dedent(inspect.getsource(fn))
        except (OSError, TypeError):
            continue
        tree = ast.parse(source).body[0]
        assert isinstance(tree, ast.FunctionDef)
        if _is_interface(fn, owner, tree):
            continue
        args = tree.args
        params = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
        params = [p for p in params if p not in ("self", "cls")]
        names = {
            n.id
            for n in ast.walk(ast.Module(body=tree.body, type_ignores=[]))
            if isinstance(n, ast.Name)
        }
        for p in params:
            key = f"{qualname}({p})"
            if p not in names and key not in KNOWN_UNUSED:
                problems.append(f"{key} is accepted and never used")
        if args.vararg is not None and args.vararg.arg not in names:
            problems.append(f"{qualname}(*{args.vararg.arg}) is accepted and never used")
        if args.kwarg is not None and qualname not in KNOWN_KWARGS:
            problems.append(f"{qualname}(**{args.kwarg.arg}) accepts any keyword")
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Name)):
                continue
            if node.value.id not in params:
                continue
            for target in node.targets:
                if (
                    isinstance(target, ast.Attribute)
                    and getattr(target.value, "id", None) == "self"
                ):
                    read = re.search(r"\." + re.escape(target.attr) + r"\b(?!\s*=[^=])", _SOURCE)
                    key = f"{qualname}({node.value.id})"
                    if read is None and key not in KNOWN_STORED:
                        problems.append(f"{key} is stored as self.{target.attr}, never read")
    return problems


def test_no_public_argument_is_accepted_and_ignored():
    assert _audit() == []


def test_the_audit_finds_an_ignored_argument():
    def swallow(a: int, b: int = 0, **kw: Any) -> int:
        return a

    source = textwrap.dedent(inspect.getsource(swallow))
    tree = ast.parse(source).body[0]
    assert isinstance(tree, ast.FunctionDef)
    names = {
        n.id
        for n in ast.walk(ast.Module(body=tree.body, type_ignores=[]))
        if isinstance(n, ast.Name)
    }
    assert "a" in names and "b" not in names and tree.args.kwarg is not None


# -- relationship() ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kw",
    [
        {"enable_typechecks": False},
        {"load_on_pending": True},
    ],
    ids=lambda kw: next(iter(kw)),
)
def test_unsupported_relationship_argument_raises_naming_it(kw):
    name = next(iter(kw))
    with pytest.raises(exc.ArgumentError, match=name):
        relationship("Child", **kw)
    with pytest.raises(exc.ArgumentError, match=name):
        backref("parent", **kw)


def test_relationship_unsupported_argument_at_its_default_is_accepted(engine):
    Base = declarative_base()

    class Parent(Base):
        __tablename__ = "arg_parent"
        id = Column(Integer, primary_key=True)
        children = relationship(
            "Child",
            primaryjoin=None,
            single_parent=False,
            collection_class=list,
            overlaps="parent",
            info={"doc": "kids"},
        )

    class Child(Base):
        __tablename__ = "arg_child"
        id = Column(Integer, primary_key=True)
        parent_id = Column(Integer, ForeignKey("arg_parent.id"))

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Parent(id=1, children=[Child(id=1), Child(id=2)]))
        s.commit()
        assert s.scalars(select(Child.parent_id).order_by(Child.id)).all() == [1, 1]
    assert Parent.children.property.info == {"doc": "kids"}


def test_unknown_relationship_argument_raises():
    with pytest.raises(exc.ArgumentError, match="no_such_thing"):
        relationship("Child", no_such_thing=1)


# -- Table ---------------------------------------------------------------------------------
def test_table_keyword_uow_orm_lacks_raises():
    md = MetaData()
    with pytest.raises(exc.ArgumentError, match="extend_existing"):
        Table("t", md, Column("id", Integer, primary_key=True), extend_existing=True)
    t = Table("t2", md, Column("id", Integer, primary_key=True), info={"a": 1})
    assert t.info == {"a": 1}


def test_foreign_key_constraint_name_and_onupdate_reach_the_database(engine, sql_log):
    md = MetaData()
    Table(
        "fkc_parent",
        md,
        Column("a", Integer, primary_key=True),
        Column("b", Integer, primary_key=True),
    )
    Table(
        "fkc_child",
        md,
        Column("id", Integer, primary_key=True),
        Column("pa", Integer),
        Column("pb", Integer),
        ForeignKeyConstraint(
            ["pa", "pb"], ["fkc_parent.a", "fkc_parent.b"], name="fk_pair", onupdate="CASCADE"
        ),
    )
    log = sql_log(engine)
    md.create_all(engine)
    assert any("CONSTRAINT fk_pair FOREIGN KEY" in sql for sql in log.sql)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO fkc_parent (a, b) VALUES (1, 2)"))
        conn.execute(text("INSERT INTO fkc_child (id, pa, pb) VALUES (1, 1, 2)"))
        conn.execute(text("UPDATE fkc_parent SET a = 5 WHERE a = 1"))
    with engine.connect() as conn:
        assert tuple(conn.execute(text("SELECT pa, pb FROM fkc_child")).one()) == (5, 2)


# -- execution options, Session.execute / merge / bulk ---------------------------------------
Base = declarative_base()


class Note(Base):
    __tablename__ = "arg_note"
    id = Column(Integer, primary_key=True)
    body = Column(String(20), default="none")
    at = Column(DateTime)


def test_execute_execution_options_populate_existing_reloads(session):
    session.add(Note(id=1, body="a"))
    session.commit()
    note = session.get(Note, 1)
    session.execute(text("UPDATE arg_note SET body = 'b' WHERE id = 1"))
    session.scalars(select(Note)).all()
    assert note.body == "a"
    session.scalars(select(Note), execution_options={"populate_existing": True}).all()
    assert note.body == "b"


def test_execution_option_autoflush_false_skips_the_autoflush(session):
    session.add(Note(id=1, body="a"))
    stmt = select(Note.id).execution_options(autoflush=False)
    assert session.scalars(stmt).all() == []
    assert session.scalars(select(Note.id)).all() == [1]


@pytest.mark.parametrize("option", ["stream_results", "isolation_level"])
def test_unsupported_execution_option_raises_naming_it(session, option):
    with pytest.raises(exc.ArgumentError, match=option):
        select(Note).execution_options(**{option: 1})
    with pytest.raises(exc.ArgumentError, match=option):
        session.execute(select(Note), execution_options={option: 1})


def test_synchronize_session_fetch_works_and_an_unknown_strategy_is_refused(session):
    session.add(Note(id=1, body="a"))
    session.commit()
    note = session.get(Note, 1)
    stmt = update(Note).where(Note.id == 1).values(body="z")
    session.execute(stmt, execution_options={"synchronize_session": "fetch"})
    assert note.body == "z"
    with pytest.raises(exc.ArgumentError, match="synchronize_session='bogus'"):
        stmt.execution_options(synchronize_session="bogus")
    with pytest.raises(exc.ArgumentError, match="synchronize_session=0"):
        stmt.execution_options(synchronize_session=0)


def test_legacy_query_update_and_delete_take_synchronize_session(session):
    session.add_all([Note(id=1, body="a"), Note(id=2, body="b")])
    session.commit()
    note = session.get(Note, 1)
    assert session.query(Note).filter(Note.id == 1).update({"body": "c"}, "fetch") == 1
    assert note.body == "c"
    with pytest.raises(exc.ArgumentError, match="synchronize_session"):
        session.query(Note).filter(Note.id == 2).delete(synchronize_session="nope")
    assert session.query(Note).filter(Note.id == 2).delete(synchronize_session="evaluate") == 1
    session.commit()
    assert session.scalars(select(Note.id)).all() == [1]


def test_application_execution_options_are_kept(session):
    stmt = select(Note).execution_options(my_tag="x")
    assert stmt.get_execution_options() == {"my_tag": "x"}
    assert session.scalars(stmt).all() == []


def test_execute_bind_arguments_and_unknown_connection_bind_arguments_raise(session):
    with pytest.raises(exc.ArgumentError, match="bind_arguments"):
        session.execute(select(Note), bind_arguments={"mapper": Note})
    with pytest.raises(exc.ArgumentError, match="clause"):
        session.connection(bind_arguments={"clause": select(Note)})
    assert session.connection(bind_arguments={"mapper": Note}).scalar(text("SELECT 1")) == 1


def test_merge_options_raises(session):
    with pytest.raises(exc.ArgumentError, match="options"):
        session.merge(Note(id=1), options=[object()])


def test_bulk_insert_mappings_none_uses_the_default_unless_render_nulls(session):
    session.bulk_insert_mappings(Note, [{"id": 1, "body": None}])
    session.bulk_insert_mappings(Note, [{"id": 2, "body": None}], render_nulls=True)
    session.commit()
    rows = session.execute(select(Note.id, Note.body).order_by(Note.id)).all()
    assert [tuple(r) for r in rows] == [(1, "none"), (2, None)]


def test_bulk_save_objects_update_changed_only_false_raises(session):
    with pytest.raises(exc.ArgumentError, match="update_changed_only"):
        session.bulk_save_objects([Note(id=1)], update_changed_only=False)


def test_text_columns_types_convert_the_result(session):
    session.add(Note(id=1, body="a", at=dt.datetime(2024, 5, 6, 7, 8, 9)))
    session.commit()
    stmt = text("SELECT id, at FROM arg_note").columns(Note.id, at=DateTime)
    row = session.execute(stmt).one()
    assert row.at == dt.datetime(2024, 5, 6, 7, 8, 9)
    assert tuple(row._mapping) == ("id", "at")
    with pytest.raises(exc.ArgumentError, match="at="):
        text("SELECT 1").columns(at="not a type")
