"""SQL that must not be silently wrong, and errors that must be uow_orm's (issue 11, items 5-13).

Large IN lists past the backend's parameter limit, LIKE escapes, strings in ORDER BY /
GROUP BY, FULL OUTER JOIN, onupdate per execution, timezone-aware datetimes on SQLite,
``text()`` parsing, and wrongly typed values: each checked by reading rows back.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import sys

import pytest

from uow_orm import (
    JSON,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    LargeBinary,
    Numeric,
    Session,
    String,
    create_engine,
    declarative_base,
    delete,
    desc,
    exc,
    func,
    insert,
    select,
    text,
    update,
)
from uow_orm import join as sql_join

Base = declarative_base()


class Color(enum.Enum):
    red = "red"
    green = "green"


class Item(Base):
    __tablename__ = "sc_item"
    id = Column(Integer, primary_key=True)
    name = Column(String(40))
    team = Column(String(10))


class Tag(Base):
    __tablename__ = "sc_tag"
    id = Column(Integer, primary_key=True)
    item_id = Column(Integer, ForeignKey("sc_item.id"))
    label = Column(String(20))


_clock = {"n": 0}


def _tick() -> int:
    _clock["n"] += 1
    return _clock["n"]


class Stamped(Base):
    __tablename__ = "sc_stamped"
    id = Column(Integer, primary_key=True)
    name = Column(String(20))
    version = Column(Integer, default=0, onupdate=_tick)
    serial = Column(Integer, default=_tick)


class Event(Base):
    __tablename__ = "sc_event"
    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True))


class Odd(Base):
    __tablename__ = "sc_odd"
    id = Column(Integer, primary_key=True)
    amount = Column(Numeric(18, 2))
    # a VARCHAR on both backends, so a stray value can be written behind its back
    color = Column(Enum(Color, native_enum=False))
    doc = Column(JSON)
    blob = Column(LargeBinary)


def _items(session, names):
    session.add_all(
        [Item(id=i + 1, name=n, team="a" if i % 2 else "b") for i, n in enumerate(names)]
    )
    session.commit()


def _names(session, criterion):
    return session.scalars(select(Item.name).where(criterion).order_by(Item.id)).all()


# -- 5. IN lists past the parameter limit; disconnect detection ----------------------------
def test_in_list_past_the_parameter_limit_runs_and_finds_the_rows(session, engine, sql_log):
    session.execute(insert(Item), [{"id": i, "name": f"n{i}"} for i in range(1, 201)])
    session.commit()
    over = engine.dialect.max_bind_params + 10
    wanted = [5, 77, 150, *range(1000, 1000 + over)]
    log = sql_log(engine)
    rows = session.scalars(select(Item.id).where(Item.id.in_(wanted)).order_by(Item.id)).all()
    assert rows == [5, 77, 150]
    one_parameter = (
        "= ANY(CAST(%s AS INTEGER[]))" if engine.dialect.name == "postgresql" else "json_each(?)"
    )
    assert one_parameter in log.sql[-1]
    session.execute(delete(Item).where(Item.id.in_(wanted[1:])))
    session.commit()
    assert session.scalars(select(Item.id).where(Item.id.in_(wanted))).all() == [5]
    assert session.scalar(select(func.count()).select_from(Item)) == 198
    count = session.scalar(select(func.count()).select_from(Item).where(Item.id.not_in(wanted)))
    assert count == 197


def test_not_in_past_the_parameter_limit_keeps_null_semantics(session, engine):
    session.add_all([Item(id=1, name="a"), Item(id=2, name=None), Item(id=3, name="c")])
    session.commit()
    many = [f"x{i}" for i in range(engine.dialect.max_bind_params + 5)] + ["a"]
    assert _names(session, Item.name.not_in(many)) == ["c"]
    assert _names(session, Item.name.in_(many)) == ["a"]
    assert _names(session, ~Item.name.in_(many)) == ["c"]


def test_small_in_lists_still_send_one_parameter_per_value(session, sql_log, engine):
    _items(session, ["a", "b", "c"])
    log = sql_log(engine)
    assert _names(session, Item.id.in_([1, 3])) == ["a", "c"]
    assert "IN (" in log.sql[-1] and "ANY" not in log.sql[-1] and "json_each" not in log.sql[-1]


def test_bad_value_in_a_long_in_list_names_the_column(session, engine):
    values = [*range(engine.dialect.max_bind_params + 5), "x"]
    with pytest.raises(exc.ColumnValueError, match=r"sc_item\.id"):
        session.execute(select(Item).where(Item.id.in_(values)))


def test_long_in_list_of_bytes_on_sqlite_is_refused_clearly(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'blob.db'}")
    try:
        Base.metadata.create_all(engine)
        values = [bytes([i % 256, i // 256 % 256, i // 65536]) for i in range(40_000)]
        with Session(engine) as s, pytest.raises(exc.ColumnValueError, match="JSON"):
            s.execute(select(Odd).where(Odd.blob.in_(values)))
    finally:
        engine.dispose()


def test_empty_in_is_false_and_empty_not_in_is_true_even_for_null(session):
    session.add_all([Item(id=1, name="a"), Item(id=2, name=None)])
    session.commit()
    assert _names(session, Item.name.in_([])) == []
    assert _names(session, Item.name.not_in([])) == ["a", None]
    assert _names(session, ~Item.name.in_([])) == ["a", None]


def test_empty_in_keeps_its_table_in_the_from_clause(session):
    _items(session, ["a"])
    session.add(Tag(id=1, item_id=1, label="t"))
    session.commit()
    stmt = select(Item.name).where(Tag.label.not_in([]))
    assert "sc_tag" in str(stmt)
    assert session.scalars(stmt).all() == ["a"]


def test_too_many_parameters_on_postgresql_does_not_invalidate_the_pool(pg_url):
    engine = create_engine(pg_url, pool_size=2)
    try:
        conn, spare = engine.connect(), engine.connect()
        used, pooled = conn.connection.dbapi_connection, spare.connection.dbapi_connection
        spare.close()
        sql = "SELECT 1 WHERE 1 IN (" + ", ".join(["%s"] * 70000) + ")"
        with pytest.raises(exc.DBAPIError, match="65535") as info:
            conn.exec_driver_sql(sql, tuple(range(70000)))
        assert not info.value.connection_invalidated and not conn.invalidated
        conn.rollback()
        assert conn.scalar(text("SELECT 2")) == 2
        assert conn.connection.dbapi_connection is used
        with engine.connect() as again:  # the pooled connection was not discarded
            assert again.connection.dbapi_connection is pooled
        conn.close()
    finally:
        engine.dispose()


def test_real_disconnect_on_postgresql_still_invalidates(pg_url):
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            pid = conn.scalar(text("SELECT pg_backend_pid()"))
            conn.commit()
            with engine.connect() as killer:
                killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                killer.commit()
            with pytest.raises(exc.DBAPIError) as info:
                conn.execute(text("SELECT 1"))
            assert info.value.connection_invalidated
            conn.rollback()
            assert conn.scalar(text("SELECT 4")) == 4
    finally:
        engine.dispose()


# -- 7. LIKE escapes ---------------------------------------------------------------------
# LIKE is case-insensitive for ASCII on SQLite only: the case tests use ILIKE and Q_R.
LIKE_NAMES = ["100%", "100 percent", "a_b", "axb", "Q_R", "x/y", "x^y"]


@pytest.mark.parametrize(
    "criterion, expected",
    [
        (Item.name.like("100!%", escape="!"), ["100%"]),
        (Item.name.like("a!_b", escape="!"), ["a_b"]),
        (Item.name.not_like("a!_b", escape="!"), [n for n in LIKE_NAMES if n != "a_b"]),
        (~Item.name.like("a!_b", escape="!"), [n for n in LIKE_NAMES if n != "a_b"]),
        (Item.name.ilike("q!_r", escape="!"), ["Q_R"]),
        (Item.name.not_ilike("q!_r", escape="!"), [n for n in LIKE_NAMES if n != "Q_R"]),
        # without autoescape the wildcards in the value are wildcards, as in SQLAlchemy
        (Item.name.contains("_"), LIKE_NAMES),
        (Item.name.contains("_", autoescape=True), ["a_b", "Q_R"]),
        (Item.name.startswith("100%", autoescape=True), ["100%"]),
        (Item.name.startswith("100%"), ["100%", "100 percent"]),
        (Item.name.endswith("_b", autoescape=True), ["a_b"]),
        (Item.name.endswith("/y", autoescape=True), ["x/y"]),
        (Item.name.contains("^y", autoescape=True, escape="^"), ["x^y"]),
        (Item.name.contains("a^_", escape="^"), ["a_b"]),
        (Item.name.icontains("q_r", autoescape=True), ["Q_R"]),
        (Item.name.istartswith("q_", autoescape=True), ["Q_R"]),
        (Item.name.iendswith("_r", autoescape=True), ["Q_R"]),
        (~Item.name.contains("_", autoescape=True), [n for n in LIKE_NAMES if "_" not in n]),
    ],
    ids=lambda v: "" if isinstance(v, list) else None,
)
def test_like_escape_and_autoescape(session, criterion, expected):
    _items(session, LIKE_NAMES)
    assert _names(session, criterion) == expected


def test_like_escape_clause_is_in_the_sql():
    assert "ESCAPE '!'" in str(select(Item).where(Item.name.like("a!%", escape="!")))
    assert "ESCAPE '/'" in str(select(Item).where(Item.name.contains("%", autoescape=True)))


def test_contains_a_column_concatenates_the_wildcards(session):
    _items(session, ["alpha", "beta"])
    session.add_all([Tag(id=1, item_id=1, label="lph"), Tag(id=2, item_id=2, label="zzz")])
    session.commit()
    stmt = select(Item.name).join(Tag).where(Item.name.contains(Tag.label))
    assert session.scalars(stmt).all() == ["alpha"]


def test_like_escape_must_be_one_character():
    with pytest.raises(exc.ArgumentError, match="escape"):
        Item.name.like("a", escape="!!")
    with pytest.raises(exc.ArgumentError, match="autoescape"):
        Item.name.contains(Item.team, autoescape=True)


# -- 8. strings in ORDER BY / GROUP BY ---------------------------------------------------
def test_order_by_string_names_a_selected_column(session):
    _items(session, ["c", "a", "b"])
    assert session.scalars(select(Item.name).order_by("name")).all() == ["a", "b", "c"]
    assert session.scalars(select(Item.name).order_by(desc("name"))).all() == ["c", "b", "a"]


def test_order_by_string_names_a_label(session):
    _items(session, ["c", "a", "b"])
    stmt = select(Item.name.label("nm")).order_by(desc("nm"))
    assert session.scalars(stmt).all() == ["c", "b", "a"]


def test_order_by_string_names_a_column_of_the_from_clause(session):
    _items(session, ["c", "a", "b"])
    assert session.scalars(select(Item.name).order_by(desc("id"))).all() == ["b", "a", "c"]
    assert [i.name for i in session.scalars(select(Item).order_by("name"))] == ["a", "b", "c"]


def test_group_by_string_names_a_label(session):
    _items(session, ["a", "b", "c", "d", "e"])
    stmt = select(Item.team.label("t"), func.count().label("n")).group_by("t").order_by("t")
    assert [tuple(r) for r in session.execute(stmt)] == [("a", 2), ("b", 3)]


def test_order_by_unknown_string_raises_compile_error(session):
    _items(session, ["a"])
    with pytest.raises(exc.CompileError, match="'nope'"):
        session.execute(select(Item.name).order_by("nope"))
    session.rollback()
    with pytest.raises(exc.CompileError, match="name desc"):
        session.execute(select(Item.name).order_by("name desc"))


def test_plain_string_as_a_condition_is_refused(session):
    _items(session, ["a"])
    with pytest.raises(exc.ArgumentError, match="text"):
        select(Item).where("name = 'zzz'")
    with pytest.raises(exc.ArgumentError, match="text"):
        session.query(Item).filter("name = 'zzz'")
    assert session.scalars(select(Item.name).where(text("name = 'zzz'"))).all() == []


def test_legacy_query_order_by_string(session):
    _items(session, ["c", "a", "b"])
    assert [i.name for i in session.query(Item).order_by("name").all()] == ["a", "b", "c"]


# -- 9. FULL OUTER JOIN -------------------------------------------------------------------
def test_full_outer_join_keeps_unmatched_rows_of_both_sides(session):
    _items(session, ["a", "b"])
    session.add_all([Tag(id=1, item_id=1, label="t1"), Tag(id=2, item_id=None, label="t2")])
    session.commit()
    stmt = select(Item.name, Tag.label).join(Tag, Item.id == Tag.item_id, full=True)
    assert "FULL OUTER JOIN" in str(stmt)
    rows = sorted((tuple(r) for r in session.execute(stmt)), key=str)
    assert rows == sorted([("a", "t1"), ("b", None), (None, "t2")], key=str)
    via_outerjoin = select(Item.name, Tag.label).outerjoin(Tag, full=True)
    assert sorted((tuple(r) for r in session.execute(via_outerjoin)), key=str) == rows
    via_query = session.query(Item).outerjoin(Tag, full=True).filter(Tag.label == "t2")
    assert via_query.all() == [None]  # the row has no Item, as in SQLAlchemy


def test_core_join_and_join_from_with_full_emit_full_outer_join(session):
    _items(session, ["a", "b"])
    session.add_all([Tag(id=1, item_id=1, label="t1"), Tag(id=2, item_id=None, label="t2")])
    session.commit()
    expected = sorted([("a", "t1"), ("b", None), (None, "t2")], key=str)
    from_core = select(Item.name, Tag.label).select_from(
        sql_join(Item, Tag, Item.id == Tag.item_id, full=True)
    )
    assert "FULL OUTER JOIN" in str(from_core)
    assert sorted((tuple(r) for r in session.execute(from_core)), key=str) == expected
    from_join_from = select(Item.name, Tag.label).join_from(
        Item, Tag, Item.id == Tag.item_id, full=True
    )
    assert "FULL OUTER JOIN" in str(from_join_from)
    assert sorted((tuple(r) for r in session.execute(from_join_from)), key=str) == expected


def test_full_outer_join_is_refused_where_sqlite_lacks_it(engine, session, monkeypatch):
    monkeypatch.setattr(engine.dialect, "supports_full_outer_join", False)
    with pytest.raises(exc.CompileError, match="FULL OUTER JOIN"):
        session.execute(select(Item).join(Tag, full=True))


# -- 10. onupdate per execution ------------------------------------------------------------
def test_reused_update_statement_runs_a_callable_onupdate_each_time(session):
    session.add(Stamped(id=1, name="a"))
    session.commit()
    stmt = update(Stamped).where(Stamped.id == 1).values(name="b")
    seen = []
    for _ in range(3):
        session.execute(stmt)
        session.commit()
        seen.append(session.scalar(select(Stamped.version)))
    assert seen[1] == seen[0] + 1 and seen[2] == seen[1] + 1


def test_core_insert_calls_a_callable_default_per_execution(engine):
    Base.metadata.create_all(engine)
    stmt = insert(Stamped.__table__).values(name="x")
    with engine.begin() as conn:
        conn.execute(stmt.values(id=1))
        conn.execute(stmt.values(id=2))
        serials = conn.execute(select(Stamped.serial).order_by(Stamped.id)).scalars().all()
    assert serials[1] == serials[0] + 1


# -- 11. timezone-aware datetimes on SQLite ------------------------------------------------
def test_aware_datetimes_compare_and_order_as_instants(session):
    plus5 = dt.timezone(dt.timedelta(hours=5))
    minus3 = dt.timezone(dt.timedelta(hours=-3))
    session.add_all(
        [
            Event(id=1, at=dt.datetime(2024, 1, 1, 10, 0, tzinfo=plus5)),  # 05:00Z
            Event(id=2, at=dt.datetime(2024, 1, 1, 6, 0, tzinfo=dt.UTC)),  # 06:00Z
            Event(id=3, at=dt.datetime(2024, 1, 1, 1, 30, tzinfo=minus3)),  # 04:30Z
        ]
    )
    session.commit()
    assert session.scalars(select(Event.id).order_by(Event.at)).all() == [3, 1, 2]
    five_z = dt.datetime(2024, 1, 1, 5, 0, tzinfo=dt.UTC)
    assert session.scalars(select(Event.id).where(Event.at == five_z)).all() == [1]
    later = session.scalars(select(Event.id).where(Event.at > five_z).order_by(Event.id)).all()
    assert later == [2]
    session.expire_all()
    loaded = session.get(Event, 1).at
    assert loaded == five_z and loaded.utcoffset() == dt.timedelta(0)
    assert session.scalar(select(func.max(Event.at))) == dt.datetime(
        2024, 1, 1, 6, 0, tzinfo=dt.UTC
    )


def test_aware_column_on_sqlite_reads_other_offsets_and_naive_text_as_utc(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'tz.db'}")
    try:
        Base.metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO sc_event (id, at) VALUES "
                    "(1, '2024-01-01 10:00:00+05:00'), (2, '2024-01-01 06:00:00'), "
                    "(3, CURRENT_TIMESTAMP)"
                )
            )
        with Session(engine) as s:
            first, second, now = (s.get(Event, i).at for i in (1, 2, 3))
        assert first == dt.datetime(2024, 1, 1, 5, tzinfo=dt.UTC) and first.tzinfo is dt.UTC
        assert second == dt.datetime(2024, 1, 1, 6, tzinfo=dt.UTC) and second.tzinfo is dt.UTC
        assert abs(now - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    finally:
        engine.dispose()


def test_naive_datetime_for_an_aware_column_is_refused(session):
    session.add(Event(id=1, at=dt.datetime(2024, 1, 1)))
    with pytest.raises(exc.ColumnValueError, match=r"Event\.at"):
        session.flush()


# -- 12. text() parsing ----------------------------------------------------------------------
def test_text_cast_after_a_parameter_is_left_alone_on_postgresql(pg_url):
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT :val::int + 1"), {"val": "41"}) == 42
            assert conn.scalar(text("SELECT '10:30'::text || :x"), {"x": "!"}) == "10:30!"
    finally:
        engine.dispose()


def test_text_colons_inside_quoted_literals_are_not_parameters(engine):
    with engine.connect() as conn:
        row = conn.execute(text("SELECT ':a', :b, '10:30:00', 'it''s :c'"), {"b": 1}).one()
        assert tuple(row) == (":a", 1, "10:30:00", "it's :c")


def test_text_backslash_colon_is_a_literal_colon(engine):
    with engine.connect() as conn:
        assert conn.scalar(text(r"SELECT '\:x' || :y"), {"y": "z"}) == ":xz"


def test_text_bindparams_for_an_unknown_name_raises(engine):
    with pytest.raises(exc.ArgumentError, match="'nope'"):
        text("SELECT :a").bindparams(nope=1)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT :a + 1").bindparams(a=1)) == 2


def test_text_parameter_name_is_the_whole_word():
    compiled = text("SELECT :val::int, :other").compile()
    assert [b.key for b in compiled.binds] == ["val", "other"]


# -- 13. every error is a uow_orm error --------------------------------------------------------
def test_get_converts_a_string_key_and_refuses_an_unconvertible_one(session):
    _items(session, ["a"])
    first = session.get(Item, 1)
    assert session.get(Item, "1") is first
    with pytest.raises(exc.ColumnValueError, match=r"Item\.id"):
        session.get(Item, "one")


def test_get_with_an_out_of_range_key_names_the_attribute(session):
    with pytest.raises(exc.ColumnValueError, match=r"Item\.id"):
        session.get(Item, 2**70)


def test_numeric_too_large_names_the_attribute(session):
    session.add(Odd(id=1, amount=decimal.Decimal("1E+27")))
    with pytest.raises(exc.ColumnValueError, match=r"Odd\.amount"):
        session.flush()
    session.rollback()
    session.add(Odd(id=1, amount=decimal.Decimal("12345678901234567.5")))
    with pytest.raises(exc.ColumnValueError, match=r"Odd\.amount"):
        session.flush()
    session.rollback()
    session.add(Odd(id=1, amount=decimal.Decimal("1234567890123456.25")))
    session.commit()
    session.expire_all()
    assert session.get(Odd, 1).amount == decimal.Decimal("1234567890123456.25")


def test_unknown_enum_value_on_load_is_a_lookup_error_from_uow_orm(session):
    session.execute(text("INSERT INTO sc_odd (id, color) VALUES (1, 'pink')"))
    session.commit()
    with pytest.raises(exc.ResultValueError, match=r"Odd\.color: 'pink'.*Color") as info:
        session.get(Odd, 1)
    assert isinstance(info.value, LookupError)


def test_json_nested_too_deeply_is_refused_with_the_attribute_named(session):
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    session.add(Odd(id=1, doc=deep))
    with pytest.raises(exc.ColumnValueError, match=r"Odd\.doc"):
        session.flush()


def test_json_text_nested_too_deeply_on_load_is_a_uow_orm_error(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'deep.db'}")
    try:
        Base.metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO sc_odd (id, doc) VALUES (1, :doc)"),
                {"doc": "[" * 100_000 + "]" * 100_000},
            )
        with (
            Session(engine) as s,
            pytest.raises(exc.ResultValueError, match=r"Odd\.doc: .*nested too deeply"),
        ):
            s.get(Odd, 1)
    finally:
        engine.dispose()


def test_limit_and_offset_take_ints_or_int_strings():
    assert select(Item).limit("5")._limit == 5
    with pytest.raises(exc.ArgumentError, match="limit"):
        select(Item).limit("x")
    with pytest.raises(exc.ArgumentError, match="offset"):
        select(Item).offset(1.5)


def test_recursion_limit_untouched():
    assert sys.getrecursionlimit() >= 1000
