"""Bad input: wrong types, out-of-range and odd values, odd identifiers, and API misuse.

Every value is either stored and read back unchanged, or refused with a clear error before or
at flush, with nothing written and the session usable after ``rollback()``: never silently
changed.  Identifiers with quotes, spaces and SQL keywords work end to end, user values never
appear in SQL text, and misuse of objects and sessions raises a clear exception.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest

from uow_orm import (
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    Session,
    String,
    Text,
    declarative_base,
    delete,
    exc,
    func,
    inspect,
    relationship,
    select,
    selectinload,
    text,
    update,
)

Base = declarative_base()


class Record(Base):
    __tablename__ = "bad_record"
    id = Column(Integer, primary_key=True)
    count = Column(Integer)
    big = Column(BigInteger)
    label = Column(String(10))
    body = Column(Text)
    ratio = Column(Float)
    naive_at = Column(DateTime())
    aware_at = Column(DateTime(timezone=True))


class Owner(Base):
    __tablename__ = "bad_owner"
    id = Column(Integer, primary_key=True)
    name = Column(String(30), nullable=False)
    pets = relationship("Pet", back_populates="owner", cascade="all, delete-orphan")


class Pet(Base):
    __tablename__ = "bad_pet"
    id = Column(Integer, primary_key=True)
    owner_id = Column(Integer, ForeignKey("bad_owner.id"), nullable=False)
    name = Column(String(30), nullable=False)
    owner = relationship("Owner", back_populates="pets")


class NotMapped:
    def __init__(self, id: int = 1) -> None:
        self.id = id


CLEAR_ERRORS = (exc.OrmError, TypeError, ValueError, OverflowError)
"""What a clear refusal may be: the library's own tree, or Python's own value/type errors."""


def try_store(engine, **values):
    """Store one Record; return its id, or the exception raised before or at the commit.

    After a refusal the session is rolled back, must work again, and nothing was written.
    """
    session = Session(engine)
    try:
        try:
            record = Record(**values)
            session.add(record)
            session.commit()
        except Exception as err:
            session.rollback()
            assert session.scalar(select(func.count()).select_from(Record)) == 0
            return err
        return record.id
    finally:
        session.close()
        assert engine.pool.checkedout() == 0


def read_back(engine, record_id: int, attr: str):
    """The stored value, loaded by a fresh session."""
    with Session(engine) as session:
        return getattr(session.get(Record, record_id), attr)


def assert_clear_refusal(err, *names: str) -> None:
    assert isinstance(err, BaseException), f"the value was stored (id {err}), not refused"
    assert isinstance(err, CLEAR_ERRORS), f"unexpected error type {type(err).__name__}: {err}"
    message = str(err)
    assert message.strip(), "the error has a message"
    for name in names:
        assert name in message, f"the message should name {name!r}: {message}"


def assert_round_trip_or_refused(engine, attr: str, value, same=None) -> None:
    outcome = try_store(engine, **{attr: value})
    if isinstance(outcome, BaseException):
        assert_clear_refusal(outcome)
        return
    stored = read_back(engine, outcome, attr)
    same = same or (lambda a, b: type(a) is type(b) and a == b)
    assert same(stored, value), f"{value!r} was silently changed into {stored!r}"


# -- wrong Python types -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attr", "value"),
    [
        ("count", "abc"),
        ("big", "lots"),
        ("ratio", "fast"),
        ("count", dt.date(2024, 1, 2)),
        ("naive_at", 1700000000),
    ],
)
def test_wrong_python_type_is_refused_naming_class_and_attribute(db, attr, value):
    err = try_store(db, **{attr: value})
    assert_clear_refusal(err, "Record", attr)


def test_fractional_float_into_integer_column_is_never_rounded(db):
    assert_round_trip_or_refused(db, "count", 1.5)


def test_aware_datetime_into_naive_column_is_refused_naming_class_and_attribute(db):
    aware = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    err = try_store(db, naive_at=aware)
    assert_clear_refusal(err, "Record", "naive_at")


def test_naive_datetime_into_aware_column_is_refused_naming_class_and_attribute(db):
    err = try_store(db, aware_at=dt.datetime(2024, 5, 6, 7, 8, 9))
    assert_clear_refusal(err, "Record", "aware_at")


def test_matching_datetimes_round_trip_unchanged(db):
    naive = dt.datetime(2024, 5, 6, 7, 8, 9, 123456)
    aware = dt.datetime(2024, 5, 6, 7, 8, 9, 654321, tzinfo=dt.timezone(dt.timedelta(hours=-3)))
    record_id = try_store(db, naive_at=naive, aware_at=aware)
    assert isinstance(record_id, int), record_id
    assert read_back(db, record_id, "naive_at") == naive
    assert read_back(db, record_id, "naive_at").tzinfo is None
    loaded = read_back(db, record_id, "aware_at")
    assert loaded.tzinfo is not None and loaded.utcoffset() is not None
    assert loaded == aware, "the same instant comes back"


# -- strings --------------------------------------------------------------------------------


def test_overlong_string_raises_data_error_on_postgresql_and_is_never_truncated(db, backend):
    value = "x" * 11  # String(10)
    outcome = try_store(db, label=value)
    if backend == "postgresql":
        assert isinstance(outcome, exc.DataError), outcome
    elif isinstance(outcome, BaseException):
        assert_clear_refusal(outcome, "label")
    else:
        assert read_back(db, outcome, "label") == value


def test_nul_byte_in_string_is_refused_by_postgresql_and_kept_by_sqlite(db, backend):
    value = "before\x00after"
    for attr in ("label", "body"):
        outcome = try_store(db, **{attr: value[:10] if attr == "label" else value})
        if backend == "postgresql":
            assert isinstance(outcome, exc.DataError), outcome
            assert "nul" in str(outcome).lower() or "0x00" in str(outcome).lower()
        else:
            assert isinstance(outcome, int), outcome
            assert read_back(db, outcome, attr) == (value[:10] if attr == "label" else value)


@pytest.mark.parametrize("value", ["lone \ud800 high", "lone \udfff low", "\udc80"])
def test_lone_surrogate_is_refused_clearly(db, value):
    err = try_store(db, body=value)
    assert_clear_refusal(err)


def test_unusual_but_valid_text_round_trips(db):
    for value in [
        "",
        " ",
        "'; DROP TABLE bad_record; --",
        '"quoted"',
        "\\x00",
        "emoji \U0001f600",
        "tab\tnewline\ncr\r",
        "\u202e right-to-left",
        "ß" * 300,
        "%_ like wildcards",
    ]:
        record_id = try_store(db, body=value)
        assert isinstance(record_id, int), (value, record_id)
        assert read_back(db, record_id, "body") == value
    assert db.has_table("bad_record")


# -- numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_round_trip_or_are_refused(db, value):
    def same(stored, original):
        if isinstance(stored, float) and math.isnan(original):
            return math.isnan(stored)
        return isinstance(stored, float) and stored == original

    assert_round_trip_or_refused(db, "ratio", value, same=same)


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 2**64, 10**30, -(10**30)])
@pytest.mark.parametrize("attr", ["big", "count"])
def test_integer_beyond_64_bits_is_refused(db, attr, value):
    err = try_store(db, **{attr: value})
    assert_clear_refusal(err)


@pytest.mark.parametrize("value", [2**63 - 1, -(2**63), 0, -1])
def test_64_bit_boundaries_round_trip_in_big_integer(db, value):
    record_id = try_store(db, big=value)
    assert isinstance(record_id, int), record_id
    assert read_back(db, record_id, "big") == value


@pytest.mark.parametrize("value", [2**31 - 1, -(2**31), 2**31, -(2**31) - 1, 2**40])
def test_integer_column_values_round_trip_or_are_refused(db, value):
    assert_round_trip_or_refused(db, "count", value)


def test_float_extremes_round_trip(db):
    for value in [5e-324, 1.7976931348623157e308, -1.7976931348623157e308, 0.1, 1 / 3]:
        record_id = try_store(db, ratio=value)
        assert isinstance(record_id, int), record_id
        stored = read_back(db, record_id, "ratio")
        assert isinstance(stored, float) and stored == value


# -- identifiers ------------------------------------------------------------------------------

WeirdBase = declarative_base()
WEIRD_PARENT = 'select "from" table'
WEIRD_CHILD = "where 'child' group"


class WeirdParent(WeirdBase):
    __tablename__ = WEIRD_PARENT
    order = Column(Integer, primary_key=True)
    label = Column(String(30), name='user\'s "label"')
    group = Column(Integer, name="group by")
    children = relationship("WeirdChild", back_populates="parent", cascade="all, delete-orphan")


class WeirdChild(WeirdBase):
    __tablename__ = WEIRD_CHILD
    id = Column(Integer, primary_key=True, name="select")
    parent_id = Column(Integer, ForeignKey(f"{WEIRD_PARENT}.order"), name="from", nullable=False)
    note = Column(String(30), name="table")
    parent = relationship("WeirdParent", back_populates="children")


KeyBase = declarative_base()


class Keyed(KeyBase):
    __tablename__ = "bad_keyed"
    id = Column(Integer, primary_key=True, name="key id")
    refs = relationship("KeyedRef", back_populates="target")


class KeyedRef(KeyBase):
    __tablename__ = "bad_keyed_ref"
    id = Column(Integer, primary_key=True)
    target_id = Column(Integer, ForeignKey("bad_keyed.key id"), name="target key")
    target = relationship("Keyed", back_populates="refs")


def test_foreign_key_string_names_the_database_column_not_the_attribute(engine):
    KeyBase.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(Keyed(refs=[KeyedRef(), KeyedRef()]))
        session.commit()
    with Session(engine) as session:
        target = session.scalars(select(Keyed)).one()
        assert len(target.refs) == 2
        assert all(ref.target is target for ref in target.refs)
    KeyBase.metadata.drop_all(engine)


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def test_identifiers_with_quotes_spaces_and_keywords_work_end_to_end(engine, sql_log):
    log = sql_log(engine)
    WeirdBase.metadata.create_all(engine)
    assert engine.has_table(WEIRD_PARENT) and engine.has_table(WEIRD_CHILD)
    assert {WEIRD_PARENT, WEIRD_CHILD} <= set(engine.table_names())

    with Session(engine) as session:
        session.add_all(
            [
                WeirdParent(
                    label='o\'brien "x"',
                    group=1,
                    children=[WeirdChild(note="a"), WeirdChild(note="b")],
                ),
                WeirdParent(label="plain", group=2, children=[WeirdChild(note="c")]),
            ]
        )
        session.commit()
    inserts = [sql for sql in log.sql if sql.lstrip().upper().startswith("INSERT")]
    assert any(quoted(WEIRD_PARENT) in sql for sql in inserts), inserts
    assert any(quoted('user\'s "label"') in sql for sql in inserts), inserts

    with Session(engine) as session:
        parent = session.scalars(
            select(WeirdParent).where(WeirdParent.label == 'o\'brien "x"')
        ).one()
        assert sorted(c.note for c in parent.children) == ["a", "b"]  # lazy load
        assert session.scalars(select(WeirdParent).filter_by(group=2)).one().label == "plain"
        joined = session.scalars(
            select(WeirdChild)
            .join(WeirdChild.parent)
            .where(WeirdParent.group == 1)
            .order_by(WeirdChild.note.desc())
        ).all()
        assert [c.note for c in joined] == ["b", "a"]
        eager = session.scalars(
            select(WeirdParent)
            .options(selectinload(WeirdParent.children))
            .order_by(WeirdParent.order)
        ).all()
        assert [len(p.children) for p in eager] == [2, 1]
        counted = session.execute(
            select(WeirdParent.group, func.count(WeirdChild.id))
            .select_from(WeirdChild)
            .join(WeirdChild.parent)
            .group_by(WeirdParent.group)
            .order_by(WeirdParent.group)
        ).all()
        assert [tuple(row) for row in counted] == [(1, 2), (2, 1)]

        parent.label = "renamed"
        parent.children.remove(parent.children[0])  # delete-orphan
        session.commit()
        session.execute(update(WeirdParent).where(WeirdParent.group == 2).values(group=20))
        session.execute(delete(WeirdChild).where(WeirdChild.note == "c"))
        session.commit()

    with Session(engine) as session:
        rows = session.execute(
            select(WeirdParent.label, WeirdParent.group).order_by(WeirdParent.order)
        ).all()
        assert [tuple(r) for r in rows] == [("renamed", 1), ("plain", 20)]
        assert [c.note for c in session.scalars(select(WeirdChild)).all()] == ["b"]
        session.delete(session.scalars(select(WeirdParent).filter_by(group=1)).one())
        session.commit()
        assert session.scalar(select(func.count()).select_from(WeirdChild)) == 0

    WeirdBase.metadata.drop_all(engine)
    assert not engine.has_table(WEIRD_PARENT) and not engine.has_table(WEIRD_CHILD)


# -- values never reach SQL text ------------------------------------------------------------


def test_user_values_are_bound_never_written_into_sql(db, sql_log):
    log = sql_log(db)
    evil = "Robert'); DROP TABLE bad_record; --"
    number = 918273645
    big = 2**62 + 1234567
    stamp = dt.datetime(2031, 12, 30, 23, 58, 57)
    with Session(db) as session:
        session.add(
            Record(
                label="mk-one", body=evil, count=number, big=big, ratio=0.123456789, naive_at=stamp
            )
        )
        session.commit()
    with Session(db) as session:
        record = session.scalars(
            select(Record).where(Record.body == evil, Record.count == number)
        ).one()
        record.body = evil + " again"
        session.commit()
        session.execute(update(Record).where(Record.big == big).values(label="mk-two"))
        found = session.execute(
            text("SELECT id FROM bad_record WHERE body = :body"), {"body": evil + " again"}
        ).scalar()
        assert found == record.id
        assert session.scalars(select(Record).where(Record.body.like("%DROP TABLE%"))).one()
        assert session.query(Record).filter_by(naive_at=stamp).one().label == "mk-two"
        assert session.get(Record, record.id) is record
        session.execute(delete(Record).where(Record.ratio == 0.123456789))
        session.commit()
    assert db.has_table("bad_record")
    assert log.statements, "statements were recorded"
    for sql in log.sql:
        for value in (
            "Robert",
            "DROP TABLE",
            str(number),
            str(big),
            "0.123456789",
            "mk-one",
            "mk-two",
            "again",
            "2031",
        ):
            assert value not in sql, f"user value {value!r} written into SQL: {sql}"


# -- misuse -----------------------------------------------------------------------------------


def make_owner(engine) -> int:
    with Session(engine) as session:
        owner = Owner(name="ann", pets=[Pet(name="rex")])
        session.add(owner)
        session.commit()
        return owner.id


def test_unknown_constructor_keyword_raises_type_error(db):
    with pytest.raises(TypeError) as info:
        Owner(name="x", colour="red")
    assert "colour" in str(info.value)


def test_detached_object_raises_detached_instance_error_on_unloaded_attributes(db):
    owner_id = make_owner(db)
    with Session(db) as session:
        owner = session.get(Owner, owner_id)
        session.commit()  # expires everything
    assert inspect(owner).detached
    with pytest.raises(exc.DetachedInstanceError) as info:
        owner.name
    assert "Owner" in str(info.value)

    with Session(db) as session:
        owner = session.get(Owner, owner_id)
        assert owner.name == "ann"
    with pytest.raises(exc.DetachedInstanceError):
        owner.pets
    assert owner.name == "ann", "loaded attributes stay readable"


def test_row_deleted_elsewhere_raises_object_deleted_error(db):
    owner_id = make_owner(db)
    with Session(db) as session:
        owner = session.get(Owner, owner_id)
        session.commit()
        with db.begin() as conn:
            conn.execute(text("DELETE FROM bad_pet"))
            conn.execute(text("DELETE FROM bad_owner"))
        with pytest.raises(exc.ObjectDeletedError):
            owner.name
        session.rollback()
        assert session.scalar(select(func.count()).select_from(Owner)) == 0
        session.add(Owner(name="next"))
        session.commit()


def test_flushed_deleted_object_cannot_be_added_back_or_refreshed(db):
    owner_id = make_owner(db)
    with Session(db) as session:
        owner = session.get(Owner, owner_id)
        session.delete(owner)
        session.flush()
        assert inspect(owner).deleted
        with pytest.raises(exc.InvalidRequestError):
            session.refresh(owner)
        with pytest.raises(exc.InvalidRequestError) as info:
            session.add(owner)
        assert "deleted" in str(info.value).lower()
        session.commit()
        assert session.scalar(select(func.count()).select_from(Owner)) == 0


def test_committed_deleted_object_cannot_be_added_to_a_new_session(db):
    owner_id = make_owner(db)
    with Session(db) as session:
        owner = session.get(Owner, owner_id)
        session.delete(owner)
        session.commit()
    assert inspect(owner).detached
    with Session(db) as session:
        with pytest.raises(exc.InvalidRequestError) as info:
            session.add(owner)
        assert "deleted" in str(info.value).lower()
        assert not inspect(owner).persistent, "no persistent object without a row"
        assert session.scalar(select(func.count()).select_from(Owner)) == 0


@pytest.mark.parametrize("thing", [NotMapped(), object(), "a string", 42, None])
def test_unmapped_instances_are_refused(db, thing):
    with Session(db) as session:
        for operation in (
            session.add,
            session.delete,
            session.expunge,
            session.refresh,
            session.expire,
            session.merge,
        ):
            with pytest.raises(exc.UnmappedInstanceError):
                operation(thing)
        with pytest.raises(exc.UnmappedInstanceError):
            session.add_all([Owner(name="ok"), thing])
        assert not session.new or all(isinstance(o, Owner) for o in session.new)
        session.rollback()
        assert session.scalar(select(func.count()).select_from(Owner)) == 0


def test_unmapped_class_is_refused(db):
    with Session(db) as session:
        with pytest.raises((exc.InvalidRequestError, exc.ArgumentError)):
            session.get(NotMapped, 1)
        with pytest.raises((exc.InvalidRequestError, exc.ArgumentError)):
            inspect(NotMapped())


def test_object_of_another_session_is_refused(db):
    owner_id = make_owner(db)
    first = Session(db)
    second = Session(db)
    try:
        owner = first.get(Owner, owner_id)
        with pytest.raises(exc.InvalidRequestError) as info:
            second.add(owner)
        assert "session" in str(info.value).lower()
        assert owner in first and owner not in second
        fresh = Owner(name="pending")
        first.add(fresh)
        with pytest.raises(exc.InvalidRequestError):
            second.add(fresh)
    finally:
        first.close()
        second.close()
    assert db.pool.checkedout() == 0


def test_objects_of_a_closed_session_are_detached_and_refused_by_it(db):
    owner_id = make_owner(db)
    session = Session(db)
    owner = session.get(Owner, owner_id)
    pending = Owner(name="never flushed")
    session.add(pending)
    session.close()

    assert inspect(owner).detached and owner not in session
    assert inspect(pending).transient
    assert len(session.identity_map) == 0 and not session.new
    for operation in (session.refresh, session.expire, session.expunge):
        with pytest.raises(exc.InvalidRequestError):
            operation(owner)
    assert db.pool.checkedout() == 0

    # The closed session starts clean when used again: nothing of the old state leaks in.
    assert session.scalar(select(func.count()).select_from(Owner)) == 1
    session.close()
    assert db.pool.checkedout() == 0


def test_sql_expression_as_attribute_value_is_refused_before_any_write(db):
    with Session(db) as s:
        s.add(Record(id=1, count=1))
        s.commit()
        rec = s.get(Record, 1)
        rec.count = Record.count + 5
        with pytest.raises(exc.ColumnValueError, match=r"Record\.count was set to an SQL"):
            s.flush()
        s.rollback()
        s.add(Record(id=2, naive_at=func.now()))
        with pytest.raises(exc.ColumnValueError, match=r"Record\.naive_at was set to an SQL"):
            s.flush()
        s.rollback()
    with Session(db) as s:
        assert s.scalars(select(Record.count)).all() == [1]
