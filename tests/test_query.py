"""The query layer: select() of classes and columns with every clause, operators,
relationship comparisons, subqueries, Result / ScalarResult methods and the legacy
session.query() API.

Every test runs on SQLite and PostgreSQL against the same small data set:

    users      name   age  email                 addresses
               alice  30   alice@example.com     alice@home.example, alice@work.example
               bob    25   None                  bob@home.example
               carol  35   carol@example.com     carol@work.example
               dave   25   dave@example.com      -
               erin   40   None                  -
"""

from __future__ import annotations

import pytest

from uow_orm import (
    Column,
    ForeignKey,
    Integer,
    Session,
    String,
    and_,
    declarative_base,
    exc,
    func,
    joinedload,
    not_,
    or_,
    relationship,
    select,
    selectinload,
)

Base = declarative_base()


class User(Base):
    __tablename__ = "q_users"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    age = Column(Integer, nullable=False)
    email = Column(String(100))
    addresses = relationship("Address", back_populates="user", order_by="Address.email_address")


class Address(Base):
    __tablename__ = "q_addresses"

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("q_users.id"), nullable=False)
    email_address = Column(String(100), nullable=False)
    user = relationship("User", back_populates="addresses")


USERS = [
    ("alice", 30, "alice@example.com", ["alice@home.example", "alice@work.example"]),
    ("bob", 25, None, ["bob@home.example"]),
    ("carol", 35, "carol@example.com", ["carol@work.example"]),
    ("dave", 25, "dave@example.com", []),
    ("erin", 40, None, []),
]
ALL_NAMES = [u[0] for u in USERS]


@pytest.fixture
def session(db):
    with Session(db) as s:
        for name, age, email, addresses in USERS:
            s.add(
                User(
                    name=name,
                    age=age,
                    email=email,
                    addresses=[Address(email_address=a) for a in addresses],
                )
            )
        s.commit()
    with Session(db) as s:
        yield s


def names(session, stmt):
    """Names of the users a statement selects, in result order."""
    return [u.name for u in session.scalars(stmt).all()]


def user(session, name):
    return session.scalars(select(User).where(User.name == name)).one()


# -- select of classes and columns --------------------------------------------------------
def test_select_class_returns_mapped_objects(session):
    users = session.scalars(select(User).order_by(User.name)).all()
    assert all(isinstance(u, User) for u in users)
    assert [u.name for u in users] == ALL_NAMES
    assert users[0].addresses[0].email_address == "alice@home.example"


def test_select_columns_returns_rows_addressable_by_index_name_and_mapping(session):
    row = session.execute(select(User.name, User.age).where(User.name == "carol")).one()
    assert tuple(row) == ("carol", 35)
    assert row[0] == "carol" and row[1] == 35
    assert row.name == "carol" and row.age == 35
    assert row._mapping["age"] == 35
    assert row._mapping[User.name] == "carol"


def test_select_class_and_column_together(session):
    rows = session.execute(
        select(User, Address.email_address).join(User.addresses).order_by(Address.email_address)
    ).all()
    assert [(u.name, email) for u, email in rows] == [
        ("alice", "alice@home.example"),
        ("alice", "alice@work.example"),
        ("bob", "bob@home.example"),
        ("carol", "carol@work.example"),
    ]
    assert rows[0][0] is rows[1][0]  # one object per row identity


def test_row_of_entities_is_addressable_by_class_name(session):
    row = session.execute(
        select(User, Address).join(User.addresses).where(Address.email_address.like("bob%"))
    ).one()
    assert row.User.name == "bob"
    assert row.Address.email_address == "bob@home.example"


# -- where, filter_by, order_by, limit, offset --------------------------------------------
def test_where_with_several_criteria_combines_them_with_and(session):
    assert names(session, select(User).where(User.age == 25, User.email.is_not(None))) == ["dave"]


def test_chained_where_calls_combine_with_and(session):
    stmt = select(User).where(User.age < 36).where(User.email.is_(None))
    assert names(session, stmt) == ["bob"]


def test_filter_by_uses_keyword_equality(session):
    assert names(session, select(User).filter_by(age=25, name="bob")) == ["bob"]
    assert names(session, select(User).filter_by(age=25).order_by(User.name)) == ["bob", "dave"]


def test_order_by_desc_and_asc(session):
    stmt = select(User).order_by(User.age.desc(), User.name.asc())
    assert names(session, stmt) == ["erin", "carol", "alice", "bob", "dave"]
    stmt = select(User).order_by(User.age.asc(), User.name.desc())
    assert names(session, stmt) == ["dave", "bob", "alice", "carol", "erin"]


def test_limit_and_offset(session):
    base = select(User).order_by(User.name)
    assert names(session, base.limit(2)) == ["alice", "bob"]
    assert names(session, base.limit(2).offset(1)) == ["bob", "carol"]
    assert names(session, base.offset(3)) == ["dave", "erin"]
    assert names(session, base.limit(10).offset(5)) == []


# -- operators ----------------------------------------------------------------------------
OPERATOR_CASES = [
    ("eq", lambda: User.age == 25, ["bob", "dave"]),
    ("ne", lambda: User.age != 25, ["alice", "carol", "erin"]),
    ("lt", lambda: User.age < 30, ["bob", "dave"]),
    ("le", lambda: User.age <= 30, ["alice", "bob", "dave"]),
    ("gt", lambda: User.age > 30, ["carol", "erin"]),
    ("ge", lambda: User.age >= 35, ["carol", "erin"]),
    ("in", lambda: User.name.in_(["alice", "erin", "zed"]), ["alice", "erin"]),
    ("in_empty", lambda: User.name.in_([]), []),
    ("not_in", lambda: User.name.not_in(["alice", "erin"]), ["bob", "carol", "dave"]),
    ("not_in_empty", lambda: User.name.not_in([]), ALL_NAMES),
    ("like", lambda: User.name.like("%r%"), ["carol", "erin"]),
    ("like_prefix", lambda: User.email.like("d%"), ["dave"]),
    ("ilike", lambda: User.name.ilike("%A%"), ["alice", "carol", "dave"]),
    ("ilike_prefix", lambda: User.email.ilike("CAROL@%"), ["carol"]),
    ("is_none", lambda: User.email.is_(None), ["bob", "erin"]),
    ("is_not_none", lambda: User.email.is_not(None), ["alice", "carol", "dave"]),
    ("eq_none", lambda: User.email == None, ["bob", "erin"]),  # noqa: E711
    ("between", lambda: User.age.between(25, 30), ["alice", "bob", "dave"]),
    (
        "and",
        lambda: and_(User.age > 24, User.age < 31, User.email.is_not(None)),
        ["alice", "dave"],
    ),
    ("or", lambda: or_(User.name == "bob", User.age > 36), ["bob", "erin"]),
    ("not", lambda: not_(User.age == 25), ["alice", "carol", "erin"]),
    (
        "nested",
        lambda: or_(and_(User.age == 25, User.email.is_(None)), not_(User.age <= 35)),
        ["bob", "erin"],
    ),
    ("not_or", lambda: not_(or_(User.age == 25, User.age == 40)), ["alice", "carol"]),
]


@pytest.mark.parametrize(
    ("criterion", "expected"),
    [(case[1], case[2]) for case in OPERATOR_CASES],
    ids=[case[0] for case in OPERATOR_CASES],
)
def test_column_operator(session, criterion, expected):
    assert names(session, select(User).where(criterion()).order_by(User.name)) == expected


# -- joins --------------------------------------------------------------------------------
def test_join_on_relationship_infers_the_on_clause(session):
    rows = session.execute(
        select(User.name, Address.email_address)
        .join(User.addresses)
        .order_by(Address.email_address)
    ).all()
    assert [tuple(r) for r in rows] == [
        ("alice", "alice@home.example"),
        ("alice", "alice@work.example"),
        ("bob", "bob@home.example"),
        ("carol", "carol@work.example"),
    ]


def test_join_to_class_infers_the_on_clause_from_the_foreign_key(session):
    stmt = (
        select(User).join(Address).where(Address.email_address.like("%work%")).order_by(User.name)
    )
    assert names(session, stmt) == ["alice", "carol"]


def test_join_many_to_one_relationship(session):
    stmt = select(Address.email_address).join(Address.user).where(User.age > 30)
    assert session.scalars(stmt).all() == ["carol@work.example"]


def test_join_on_many_to_one_starts_from_the_relationships_own_table(session):
    # The first selected column belongs to the joined table; the join must still start
    # from addresses (the owner of Address.user), not join users to itself.
    rows = session.execute(
        select(User.name, func.count(Address.id))
        .join(Address.user)
        .group_by(User.name)
        .order_by(User.name)
    ).all()
    assert [tuple(r) for r in rows] == [("alice", 2), ("bob", 1), ("carol", 1)]


def test_join_with_explicit_on_clause(session):
    stmt = (
        select(Address.email_address)
        .join(User, Address.user_id == User.id)
        .where(User.name == "bob")
    )
    assert session.scalars(stmt).all() == ["bob@home.example"]


def test_outerjoin_keeps_rows_without_a_match(session):
    rows = session.execute(
        select(User.name, Address.email_address)
        .outerjoin(User.addresses)
        .order_by(User.name, Address.email_address)
    ).all()
    assert [tuple(r) for r in rows] == [
        ("alice", "alice@home.example"),
        ("alice", "alice@work.example"),
        ("bob", "bob@home.example"),
        ("carol", "carol@work.example"),
        ("dave", None),
        ("erin", None),
    ]


def test_outerjoin_to_class_with_is_none_finds_unmatched_rows(session):
    stmt = select(User).outerjoin(Address).where(Address.id.is_(None)).order_by(User.name)
    assert names(session, stmt) == ["dave", "erin"]


def test_outerjoin_with_explicit_on_clause(session):
    stmt = (
        select(User.name, Address.email_address)
        .outerjoin(Address, and_(Address.user_id == User.id, Address.email_address.like("%work%")))
        .order_by(User.name)
    )
    assert [tuple(r) for r in session.execute(stmt).all()] == [
        ("alice", "alice@work.example"),
        ("bob", None),
        ("carol", "carol@work.example"),
        ("dave", None),
        ("erin", None),
    ]


# -- aggregates, group_by, having, distinct, select_from ----------------------------------
def test_group_by_with_count(session):
    rows = session.execute(
        select(User.name, func.count(Address.id))
        .join(User.addresses)
        .group_by(User.name)
        .order_by(User.name)
    ).all()
    assert [tuple(r) for r in rows] == [("alice", 2), ("bob", 1), ("carol", 1)]


def test_having_filters_groups(session):
    rows = session.execute(
        select(User.name, func.count(Address.id))
        .join(User.addresses)
        .group_by(User.name)
        .having(func.count(Address.id) > 1)
    ).all()
    assert [tuple(r) for r in rows] == [("alice", 2)]


def test_count_star_grouped_by_column(session):
    rows = session.execute(
        select(User.age, func.count()).group_by(User.age).order_by(User.age)
    ).all()
    assert [tuple(r) for r in rows] == [(25, 2), (30, 1), (35, 1), (40, 1)]


def test_func_max_min_sum_and_lower(session):
    assert session.scalar(select(func.max(User.age))) == 40
    assert session.scalar(select(func.min(User.age))) == 25
    assert session.scalar(select(func.sum(User.age))) == 155
    assert session.scalars(select(func.upper(User.name)).where(User.name == "bob")).one() == "BOB"


def test_distinct(session):
    assert session.scalars(select(User.age).distinct().order_by(User.age)).all() == [
        25,
        30,
        35,
        40,
    ]


def test_select_from_sets_the_left_side(session):
    assert session.scalar(select(func.count()).select_from(User)) == 5
    stmt = select(Address.email_address).select_from(User).join(Address).where(User.name == "carol")
    assert session.scalars(stmt).all() == ["carol@work.example"]


# -- with_for_update ----------------------------------------------------------------------
def test_with_for_update_locks_rows_where_the_backend_can(session, engine, backend, sql_log):
    log = sql_log(engine)
    locked = session.scalars(select(User).where(User.name == "alice").with_for_update()).one()
    assert locked.name == "alice"
    emitted = [sql.upper() for sql in log.sql if sql.lstrip().upper().startswith("SELECT")]
    assert len(emitted) == 1
    if backend == "postgresql":
        assert "FOR UPDATE" in emitted[0]
    else:  # SQLite has no row locks and no FOR UPDATE syntax
        assert "FOR UPDATE" not in emitted[0]


# -- subqueries and exists ----------------------------------------------------------------
def test_in_with_a_subquery(session):
    stmt = select(User).where(User.id.in_(select(Address.user_id))).order_by(User.name)
    assert names(session, stmt) == ["alice", "bob", "carol"]


def test_subquery_joined_as_a_table(session):
    counts = (
        select(Address.user_id, func.count(Address.id).label("n"))
        .group_by(Address.user_id)
        .subquery()
    )
    rows = session.execute(
        select(User.name, counts.c.n)
        .join(counts, User.id == counts.c.user_id)
        .order_by(counts.c.n.desc(), User.name)
    ).all()
    assert [tuple(r) for r in rows] == [("alice", 2), ("bob", 1), ("carol", 1)]


def test_correlated_scalar_subquery_in_columns(session):
    address_count = (
        select(func.count(Address.id))
        .where(Address.user_id == User.id)
        .scalar_subquery()
        .label("address_count")
    )
    rows = session.execute(select(User.name, address_count).order_by(User.name)).all()
    assert [tuple(r) for r in rows] == [
        ("alice", 2),
        ("bob", 1),
        ("carol", 1),
        ("dave", 0),
        ("erin", 0),
    ]


def test_exists_method_of_select(session):
    has_address = select(Address.id).where(Address.user_id == User.id).exists()
    assert names(session, select(User).where(has_address).order_by(User.name)) == [
        "alice",
        "bob",
        "carol",
    ]
    assert names(session, select(User).where(not_(has_address)).order_by(User.name)) == [
        "dave",
        "erin",
    ]


def test_exists_function(session):
    from uow_orm import exists

    stmt = (
        select(User)
        .where(exists().where(Address.user_id == User.id, Address.email_address.like("%work%")))
        .order_by(User.name)
    )
    assert names(session, stmt) == ["alice", "carol"]


# -- relationship comparisons -------------------------------------------------------------
def test_many_to_one_equals_object(session):
    alice = user(session, "alice")
    emails = session.scalars(
        select(Address.email_address).where(Address.user == alice).order_by(Address.email_address)
    ).all()
    assert emails == ["alice@home.example", "alice@work.example"]


def test_many_to_one_not_equals_object(session):
    alice = user(session, "alice")
    emails = session.scalars(
        select(Address.email_address).where(Address.user != alice).order_by(Address.email_address)
    ).all()
    assert emails == ["bob@home.example", "carol@work.example"]


def test_collection_any_with_criterion(session):
    stmt = (
        select(User)
        .where(User.addresses.any(Address.email_address.like("%work%")))
        .order_by(User.name)
    )
    assert names(session, stmt) == ["alice", "carol"]


def test_collection_any_without_criterion_and_its_negation(session):
    assert names(session, select(User).where(User.addresses.any()).order_by(User.name)) == [
        "alice",
        "bob",
        "carol",
    ]
    assert names(session, select(User).where(not_(User.addresses.any())).order_by(User.name)) == [
        "dave",
        "erin",
    ]


def test_many_to_one_has(session):
    emails = session.scalars(
        select(Address.email_address)
        .where(Address.user.has(User.age > 30))
        .order_by(Address.email_address)
    ).all()
    assert emails == ["carol@work.example"]
    emails = session.scalars(
        select(Address.email_address).where(Address.user.has(User.email.is_(None)))
    ).all()
    assert emails == ["bob@home.example"]


# -- Result -------------------------------------------------------------------------------
def by_name():
    return select(User.name, User.age).order_by(User.name)


def test_result_all_and_iteration(session):
    assert [tuple(r) for r in session.execute(by_name()).all()] == [(u[0], u[1]) for u in USERS]
    assert [row.name for row in session.execute(by_name())] == ALL_NAMES


def test_result_first(session):
    assert tuple(session.execute(by_name()).first()) == ("alice", 30)
    assert session.execute(by_name().where(User.age > 99)).first() is None


def test_result_one(session):
    assert tuple(session.execute(by_name().where(User.name == "bob")).one()) == ("bob", 25)
    with pytest.raises(exc.NoResultFound):
        session.execute(by_name().where(User.age > 99)).one()
    with pytest.raises(exc.MultipleResultsFound):
        session.execute(by_name().where(User.age == 25)).one()


def test_result_one_or_none(session):
    assert session.execute(by_name().where(User.name == "bob")).one_or_none().age == 25
    assert session.execute(by_name().where(User.age > 99)).one_or_none() is None
    with pytest.raises(exc.MultipleResultsFound):
        session.execute(by_name().where(User.age == 25)).one_or_none()


def test_result_scalar(session):
    assert session.execute(by_name()).scalar() == "alice"
    assert session.execute(by_name().where(User.age > 99)).scalar() is None
    assert session.scalar(select(User.age).where(User.name == "erin")) == 40


def test_result_scalar_one(session):
    assert session.execute(select(User.age).where(User.name == "erin")).scalar_one() == 40
    with pytest.raises(exc.NoResultFound):
        session.execute(select(User.age).where(User.age > 99)).scalar_one()
    with pytest.raises(exc.MultipleResultsFound):
        session.execute(select(User.age).where(User.age == 25)).scalar_one()


def test_scalars_all_first_one_one_or_none_and_iteration(session):
    stmt = select(User).order_by(User.name)
    assert [u.name for u in session.execute(stmt).scalars().all()] == ALL_NAMES
    assert [u.name for u in session.scalars(stmt)] == ALL_NAMES
    assert session.scalars(stmt).first().name == "alice"
    assert session.scalars(stmt.where(User.age > 99)).first() is None
    assert session.scalars(stmt.where(User.name == "dave")).one().age == 25
    assert session.scalars(stmt.where(User.age > 99)).one_or_none() is None
    with pytest.raises(exc.NoResultFound):
        session.scalars(stmt.where(User.age > 99)).one()
    with pytest.raises(exc.MultipleResultsFound):
        session.scalars(stmt).one()
    with pytest.raises(exc.MultipleResultsFound):
        session.scalars(stmt).one_or_none()


def test_scalars_of_a_column_query(session):
    assert session.execute(by_name()).scalars().all() == ALL_NAMES


def test_result_mappings(session):
    mappings = session.execute(by_name()).mappings().all()
    assert [dict(m) for m in mappings] == [{"name": u[0], "age": u[1]} for u in USERS]
    assert mappings[1]["name"] == "bob"
    first = session.execute(by_name().where(User.name == "carol")).mappings().first()
    assert first["age"] == 35


def test_result_unique_removes_duplicate_rows(session):
    stmt = select(User).join(User.addresses).order_by(User.name)
    assert [u.name for u in session.scalars(stmt).all()] == ["alice", "alice", "bob", "carol"]
    assert [u.name for u in session.scalars(stmt).unique().all()] == ["alice", "bob", "carol"]
    rows = session.execute(select(User.name).join(User.addresses).order_by(User.name))
    assert [r.name for r in rows.unique().all()] == ["alice", "bob", "carol"]


def test_result_partitions(session):
    partitions = list(session.execute(by_name()).partitions(2))
    assert [len(p) for p in partitions] == [2, 2, 1]
    assert [row.name for part in partitions for row in part] == ALL_NAMES


def test_result_partitions_of_entities(session):
    result = session.execute(select(User).order_by(User.name))
    partitions = list(result.partitions(3))
    assert [[row[0].name for row in part] for part in partitions] == [
        ["alice", "bob", "carol"],
        ["dave", "erin"],
    ]


# -- legacy session.query -----------------------------------------------------------------
def test_query_filter_order_by_all(session):
    result = session.query(User).filter(User.age > 26).order_by(User.name).all()
    assert [u.name for u in result] == ["alice", "carol", "erin"]


def test_query_chained_filters_and_filter_by(session):
    q = session.query(User).filter(User.age < 36).filter(User.email.is_not(None))
    assert [u.name for u in q.order_by(User.name).all()] == ["alice", "carol", "dave"]
    q = session.query(User).filter_by(age=25).order_by(User.name.desc())
    assert [u.name for u in q.all()] == ["dave", "bob"]


def test_query_limit_offset(session):
    q = session.query(User).order_by(User.name).limit(2).offset(2)
    assert [u.name for u in q.all()] == ["carol", "dave"]


def test_query_iteration(session):
    assert [u.name for u in session.query(User).order_by(User.name)] == ALL_NAMES


def test_query_first(session):
    assert session.query(User).order_by(User.age.desc()).first().name == "erin"
    assert session.query(User).filter(User.age > 99).first() is None


def test_query_one_and_one_or_none(session):
    assert session.query(User).filter_by(name="bob").one().age == 25
    assert session.query(User).filter_by(name="zed").one_or_none() is None
    assert session.query(User).filter_by(name="bob").one_or_none().name == "bob"
    with pytest.raises(exc.NoResultFound):
        session.query(User).filter_by(name="zed").one()
    with pytest.raises(exc.MultipleResultsFound):
        session.query(User).filter_by(age=25).one()
    with pytest.raises(exc.MultipleResultsFound):
        session.query(User).filter_by(age=25).one_or_none()


def test_query_count(session):
    assert session.query(User).count() == 5
    assert session.query(User).filter(User.age == 25).count() == 2
    assert session.query(Address).filter(Address.email_address.like("%work%")).count() == 2


def test_query_get_uses_the_identity_map(session, engine, sql_log):
    bob = user(session, "bob")
    log = sql_log(engine)
    assert session.query(User).get(bob.id) is bob
    assert log.sql == []
    assert session.query(User).get(10_000) is None


def test_query_options_selectinload(session, engine, sql_log):
    log = sql_log(engine)
    users = session.query(User).options(selectinload(User.addresses)).order_by(User.name).all()
    assert log.count("SELECT") == 2
    assert [len(u.addresses) for u in users] == [2, 1, 1, 0, 0]
    assert log.count("SELECT") == 2


def test_query_options_joinedload_returns_each_object_once(session, engine, sql_log):
    log = sql_log(engine)
    users = session.query(User).options(joinedload(User.addresses)).order_by(User.name).all()
    assert [u.name for u in users] == ALL_NAMES
    assert [len(u.addresses) for u in users] == [2, 1, 1, 0, 0]
    assert log.count("SELECT") == 1
