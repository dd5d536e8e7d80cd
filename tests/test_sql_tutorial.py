"""SQLAlchemy's tutorial "Working with Data" (Core part), imports changed, on both
backends: each step's rows are checked (issue 15)."""

from __future__ import annotations

import pytest

from uow_orm import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    delete,
    desc,
    exists,
    func,
    insert,
    literal_column,
    select,
    text,
    union_all,
    update,
)


@pytest.fixture
def tables(engine):
    md = MetaData()
    user_table = Table(
        "user_account",
        md,
        Column("id", Integer, primary_key=True),
        Column("name", String(30)),
        Column("fullname", String),
    )
    address_table = Table(
        "address",
        md,
        Column("id", Integer, primary_key=True),
        Column("user_id", ForeignKey("user_account.id"), nullable=False),  # type from the key
        Column("email_address", String, nullable=False),
    )
    md.create_all(engine)
    return user_table, address_table


def test_working_with_data_core_tutorial(engine, tables):
    user_table, address_table = tables
    with engine.begin() as conn:
        stmt = insert(user_table).values(name="spongebob", fullname="Spongebob Squarepants")
        assert stmt.compile().params == {"name": "spongebob", "fullname": "Spongebob Squarepants"}
        assert tuple(conn.execute(stmt).inserted_primary_key) == (1,)
        conn.execute(
            insert(user_table),
            [
                {"name": "sandy", "fullname": "Sandy Cheeks"},
                {"name": "patrick", "fullname": "Patrick Star"},
            ],
        )
        scalar_subq = (
            select(user_table.c.id)
            .where(user_table.c.name == bindparam("username"))
            .scalar_subquery()
        )
        conn.execute(
            insert(address_table).values(user_id=scalar_subq),
            [
                {"username": "spongebob", "email_address": "spongebob@sqlalchemy.org"},
                {"username": "sandy", "email_address": "sandy@sqlalchemy.org"},
                {"username": "sandy", "email_address": "sandy@squirrelpower.org"},
            ],
        )
        rows = conn.execute(select(address_table).order_by(address_table.c.id)).all()
        assert [tuple(r) for r in rows] == [
            (1, 1, "spongebob@sqlalchemy.org"),
            (2, 2, "sandy@sqlalchemy.org"),
            (3, 2, "sandy@squirrelpower.org"),
        ]
        joined = select(user_table.c.name, address_table.c.email_address).join_from(
            user_table, address_table
        )
        assert len(conn.execute(joined).all()) == 3
        assert conn.execute(select(func.count("*")).select_from(user_table)).scalar() == 3
        having = (
            select(user_table.c.name, func.count(address_table.c.id).label("count"))
            .join(address_table)
            .group_by(user_table.c.name)
            .having(func.count(address_table.c.id) > 1)
        )
        assert [tuple(r) for r in conn.execute(having)] == [("sandy", 2)]
        u1, u2 = user_table.alias(), user_table.alias()
        pairs = select(u1.c.name, u2.c.name).join_from(u1, u2, u1.c.id > u2.c.id)
        assert len(conn.execute(pairs).all()) == 3
        subq = (
            select(func.count(address_table.c.id).label("count"), address_table.c.user_id)
            .group_by(address_table.c.user_id)
            .subquery()
        )
        stmt = (
            select(user_table.c.name, subq.c.count)
            .join_from(user_table, subq)  # ON inferred through the subquery's user_id
            .order_by(user_table.c.id)
        )
        assert [tuple(r) for r in conn.execute(stmt)] == [("spongebob", 1), ("sandy", 2)]
        cte = (
            select(func.count(address_table.c.id).label("count"), address_table.c.user_id)
            .group_by(address_table.c.user_id)
            .cte()
        )
        stmt = select(user_table.c.name, cte.c.count).join_from(user_table, cte)
        assert sorted(tuple(r) for r in conn.execute(stmt)) == [("sandy", 2), ("spongebob", 1)]
        phrase = select(literal_column("'some phrase'").label("p"), user_table.c.name)
        assert conn.execute(phrase.order_by(user_table.c.name)).first() == (
            "some phrase",
            "patrick",
        )
        assert conn.execute(
            select(text("'x'"), user_table.c.name).order_by(user_table.c.name)
        ).first() == ("x", "patrick")
        stmt = update(user_table).values(fullname="Username: " + user_table.c.name)
        conn.execute(stmt.where(user_table.c.id == 3))
        assert (
            conn.execute(select(user_table.c.fullname).where(user_table.c.id == 3)).scalar()
            == "Username: patrick"
        )
        renamed = (
            update(user_table)
            .where(user_table.c.name == bindparam("oldname"))
            .values(name=bindparam("newname"))
        )
        conn.execute(renamed, [{"oldname": "patrick", "newname": "pat"}])
        first_email = (
            select(address_table.c.email_address)
            .where(address_table.c.user_id == user_table.c.id)
            .order_by(address_table.c.id)
            .limit(1)
            .scalar_subquery()
        )
        conn.execute(update(user_table).values(fullname=first_email))
        assert conn.execute(
            select(user_table.c.fullname).order_by(user_table.c.id)
        ).scalars().all() == [
            "spongebob@sqlalchemy.org",
            "sandy@sqlalchemy.org",
            None,
        ]
        conn.execute(
            update(user_table)
            .where(user_table.c.id == address_table.c.user_id)
            .where(address_table.c.email_address == "sandy@squirrelpower.org")
            .values(fullname="Pat")
        )
        assert (
            conn.execute(select(user_table.c.fullname).where(user_table.c.id == 2)).scalar()
            == "Pat"
        )
        gone = conn.execute(
            delete(address_table)
            .where(address_table.c.email_address == "sandy@squirrelpower.org")
            .returning(address_table.c.id)
        )
        assert gone.scalars().all() == [3]
        rn = (
            select(
                func.row_number().over(partition_by=user_table.c.name),
                user_table.c.name,
                address_table.c.email_address,
            )
            .select_from(user_table)
            .join(address_table)
        )
        assert sorted(r[0] for r in conn.execute(rn)) == [1, 1]
        counts = (
            select(
                func.count(address_table.c.email_address).filter(user_table.c.name == "sandy"),
                func.count(address_table.c.email_address).filter(user_table.c.name == "spongebob"),
            )
            .select_from(user_table)
            .join(address_table)
        )
        assert tuple(conn.execute(counts).one()) == (1, 1)
        s1 = select(user_table).where(user_table.c.name == "sandy")
        s2 = select(user_table).where(user_table.c.name == "spongebob")
        u_subq = union_all(s1, s2).subquery()
        stmt = (
            select(u_subq.c.name, address_table.c.email_address)
            .join_from(address_table, u_subq)
            .order_by(u_subq.c.name, address_table.c.email_address)
        )
        assert [tuple(r) for r in conn.execute(stmt)] == [
            ("sandy", "sandy@sqlalchemy.org"),
            ("spongebob", "spongebob@sqlalchemy.org"),
        ]
        has_two = (
            select(func.count(address_table.c.id))
            .where(user_table.c.id == address_table.c.user_id)
            .group_by(address_table.c.user_id)
            .having(func.count(address_table.c.id) > 1)
            .exists()
        )
        assert conn.execute(select(user_table.c.name).where(has_two)).all() == []
        assert len(conn.execute(select(user_table.c.name).where(~has_two)).all()) == 3
        grouped = (
            select(address_table.c.user_id, func.count(address_table.c.id).label("num"))
            .group_by(address_table.c.user_id)
            .order_by(desc(func.count(address_table.c.id)), address_table.c.user_id)
        )
        assert [tuple(r) for r in conn.execute(grouped)] == [(1, 1), (2, 1)]
        assert conn.execute(select(exists().where(address_table.c.user_id == 2))).scalar() in (
            True,
            1,
        )
