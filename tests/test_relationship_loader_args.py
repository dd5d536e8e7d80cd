"""relationship() loader arguments: ``join_depth`` (self-referential eager loading),
``distinct_target_key`` with real subquery loading, ``comparator_factory``,
``query_class`` for ``lazy="dynamic"``, ``omit_join=False``.

Each runs on SQLite and PostgreSQL: rows are read back, loaded state is checked with
``inspect(obj).unloaded`` / ``__dict__`` and the statements counted.
"""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import Column, ForeignKey, String, Table, exc, func, inspect, select
from uow_orm.orm import (
    DeclarativeBase,
    Mapped,
    Query,
    RelationshipProperty,
    Session,
    joinedload,
    mapped_column,
    relationship,
    selectinload,
    subqueryload,
)


class Base(DeclarativeBase):
    pass


class JoinedNode(Base):
    """SQLAlchemy's "Configuring Self-Referential Eager Loading" example."""

    __tablename__ = "la_jnode"
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("la_jnode.id"))
    data: Mapped[str] = mapped_column(String(20))
    children: Mapped[list[JoinedNode]] = relationship(
        lazy="joined", join_depth=2, order_by="JoinedNode.id"
    )


class SelectinNode(Base):
    __tablename__ = "la_snode"
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("la_snode.id"))
    data: Mapped[str] = mapped_column(String(20))
    children: Mapped[list[SelectinNode]] = relationship(
        lazy="selectin", join_depth=2, order_by="SelectinNode.id"
    )


class SubqueryNode(Base):
    __tablename__ = "la_qnode"
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("la_qnode.id"))
    data: Mapped[str] = mapped_column(String(20))
    children: Mapped[list[SubqueryNode]] = relationship(
        lazy="subquery", join_depth=2, order_by="SubqueryNode.id"
    )


class PlainNode(Base):
    """lazy="joined" on a self-referential relationship without join_depth."""

    __tablename__ = "la_pnode"
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("la_pnode.id"))
    data: Mapped[str] = mapped_column(String(20))
    children: Mapped[list[PlainNode]] = relationship(lazy="joined", order_by="PlainNode.id")


def _tree(cls: Any, name: str, depth: int) -> Any:
    node = cls(data=name)
    if depth:
        node.children = [_tree(cls, f"{name}{i}", depth - 1) for i in range(2)]
    return node


def _loaded_per_level(root: Any) -> list[int]:
    """How many nodes of each level have ``children`` loaded (the last level: 0)."""
    level, out = [root], []
    while level:
        loaded = [n for n in level if "children" not in inspect(n).unloaded]
        out.append(len(loaded))
        level = [c for n in loaded for c in n.children]
    return out


def _seed(db: Any, cls: Any, depth: int = 4) -> None:
    with Session(db) as s:
        s.add(_tree(cls, "r", depth))
        s.commit()


# -- join_depth ---------------------------------------------------------------------------
def test_joined_join_depth_loads_two_levels_in_one_statement(db, sql_log):
    _seed(db, JoinedNode)
    with Session(db) as s:
        log = sql_log(db)
        root = s.scalars(select(JoinedNode).where(JoinedNode.parent_id.is_(None))).unique().one()
        assert log.count("SELECT") == 1
        (sql,) = [q for q in log.sql if q.lstrip().startswith("SELECT")]
        assert sql.count("LEFT OUTER JOIN") == 2  # two aliased self-joins
        assert [c.data for c in root.children] == ["r0", "r1"]
        assert [g.data for g in root.children[1].children] == ["r10", "r11"]
        assert _loaded_per_level(root) == [1, 2, 0]  # the third level loads lazily
        assert log.count("SELECT") == 1
        deep = root.children[0].children[0]
        assert [c.data for c in deep.children] == ["r000", "r001"]
        assert log.count("SELECT") == 2  # one lazy load (with its own two joined levels)


def test_selectin_join_depth_loads_two_levels_with_one_select_each(db, sql_log):
    _seed(db, SelectinNode)
    with Session(db) as s:
        log = sql_log(db)
        root = s.scalars(select(SelectinNode).where(SelectinNode.parent_id.is_(None))).one()
        assert log.count("SELECT") == 3  # the root, then one per level
        assert _loaded_per_level(root) == [1, 2, 0]
        assert [g.data for c in root.children for g in c.children] == ["r00", "r01", "r10", "r11"]
        assert log.count("SELECT") == 3


def test_subquery_join_depth_wraps_the_query_at_each_level(db, sql_log):
    _seed(db, SubqueryNode)
    with Session(db) as s:
        log = sql_log(db)
        root = s.scalars(select(SubqueryNode).where(SubqueryNode.parent_id.is_(None))).one()
        selects = [q for q in log.sql if q.lstrip().startswith("SELECT")]
        assert len(selects) == 3
        assert "IN (" not in selects[1] and "IN (" not in selects[2]
        assert selects[1].count("SELECT") == 2  # the root query as a subquery
        assert _loaded_per_level(root) == [1, 2, 0]
        assert [g.data for c in root.children for g in c.children] == ["r00", "r01", "r10", "r11"]


def test_self_referential_eager_without_join_depth_loads_no_level(db, sql_log):
    # as in SQLAlchemy: the target's class is already on the path, so lazy="joined" stops
    _seed(db, PlainNode, 2)
    with Session(db) as s:
        log = sql_log(db)
        root = s.scalars(select(PlainNode).where(PlainNode.parent_id.is_(None))).unique().one()
        assert "JOIN" not in log.sql[-1]
        assert _loaded_per_level(root) == [0]
        assert [c.data for c in root.children] == ["r0", "r1"]  # a lazy load
        assert log.count("SELECT") == 2


def test_joinedload_option_on_self_referential_loads_one_level(db, sql_log):
    _seed(db, PlainNode, 3)
    with Session(db) as s:
        log = sql_log(db)
        stmt = select(PlainNode).where(PlainNode.parent_id.is_(None))
        root = s.scalars(stmt.options(joinedload(PlainNode.children))).unique().one()
        assert log.count("SELECT") == 1
        assert _loaded_per_level(root) == [1, 0]


def test_selectinload_option_then_lazy_joined_counts_levels_per_statement(db, sql_log):
    # SQLAlchemy counts joined levels within each statement: the select-in query of the
    # first level joins two more
    _seed(db, JoinedNode, 5)
    with Session(db) as s:
        log = sql_log(db)
        stmt = select(JoinedNode).where(JoinedNode.parent_id.is_(None))
        root = s.scalars(stmt.options(selectinload(JoinedNode.children))).unique().one()
        assert log.count("SELECT") == 2
        assert _loaded_per_level(root) == [1, 2, 4, 0]


def test_join_depth_must_be_a_positive_int():
    for bad in (0, -1, "2", 1.5, True):
        with pytest.raises(exc.ArgumentError, match="join_depth"):
            relationship("X", join_depth=bad)


# -- subquery loading and distinct_target_key -----------------------------------------------
tag_links = Table(
    "la_tag_link",
    Base.metadata,
    Column("post_id", ForeignKey("la_post.id"), primary_key=True),
    Column("tag_id", ForeignKey("la_tag.id"), primary_key=True),
)


class Author(Base):
    __tablename__ = "la_author"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    posts: Mapped[list[Post]] = relationship(back_populates="author", order_by="Post.id")


class Post(Base):
    __tablename__ = "la_post"
    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("la_author.id"))
    title: Mapped[str] = mapped_column(String(20))
    author: Mapped[Author] = relationship(back_populates="posts")
    author_plain: Mapped[Author] = relationship(viewonly=True, distinct_target_key=False)
    tags: Mapped[list[Tag]] = relationship(secondary=tag_links, order_by="Tag.id")
    tags_distinct: Mapped[list[Tag]] = relationship(
        secondary=tag_links, viewonly=True, distinct_target_key=True, order_by="Tag.id"
    )


class Tag(Base):
    __tablename__ = "la_tag"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))


@pytest.fixture
def blog(db):
    with Session(db) as s:
        t1, t2 = Tag(id=1, name="orm"), Tag(id=2, name="sql")
        a = Author(id=1, name="ann", posts=[Post(id=1, title="p1", tags=[t1, t2])])
        b = Author(id=2, name="bob", posts=[Post(id=2, title="p2", tags=[t2])])
        a.posts.append(Post(id=3, title="p3"))
        s.add_all([a, b])
        s.commit()
    return db


def _inner_select(sql: str) -> str:
    return sql[sql.index("(SELECT") : sql.index(") AS")]


def test_subqueryload_many_to_one_is_distinct_by_default(blog, sql_log):
    with Session(blog) as s:
        log = sql_log(blog)
        posts = s.scalars(select(Post).order_by(Post.id).options(subqueryload(Post.author))).all()
        assert [(p.title, p.author.name) for p in posts] == [
            ("p1", "ann"),
            ("p2", "bob"),
            ("p3", "ann"),
        ]
        assert log.count("SELECT") == 2
        # the foreign key is not the posts' primary key: DISTINCT
        assert _inner_select(log.sql[-1]).startswith("(SELECT DISTINCT ")


def test_subqueryload_distinct_target_key_false_leaves_out_distinct(blog, sql_log):
    with Session(blog) as s:
        log = sql_log(blog)
        stmt = select(Post).order_by(Post.id).options(subqueryload(Post.author_plain))
        posts = s.scalars(stmt).all()
        assert [p.author_plain.name for p in posts] == ["ann", "bob", "ann"]
        inner = _inner_select(log.sql[-1])
        assert "DISTINCT" not in inner


def test_subqueryload_many_to_many_selects_the_primary_key_without_distinct(blog, sql_log):
    with Session(blog) as s:
        log = sql_log(blog)
        posts = s.scalars(select(Post).order_by(Post.id).options(subqueryload(Post.tags))).all()
        assert [[t.name for t in p.tags] for p in posts] == [["orm", "sql"], ["sql"], []]
        assert "DISTINCT" not in _inner_select(log.sql[-1])
        log.clear()
        s.expire_all()
        stmt = select(Post).order_by(Post.id).options(subqueryload(Post.tags_distinct))
        posts = s.scalars(stmt).all()
        assert [[t.name for t in p.tags_distinct] for p in posts] == [["orm", "sql"], ["sql"], []]
        assert _inner_select(log.sql[-1]).startswith("(SELECT DISTINCT ")


def test_subqueryload_keeps_limit_and_order_of_the_original_query(blog, sql_log):
    with Session(blog) as s:
        log = sql_log(blog)
        stmt = (
            select(Author)
            .where(Author.name != "nobody")
            .order_by(Author.name.desc())
            .limit(1)
            .options(subqueryload(Author.posts))
        )
        (bob,) = s.scalars(stmt).all()
        assert bob.name == "bob" and [p.title for p in bob.posts] == ["p2"]
        inner = _inner_select(log.sql[-1])
        assert "ORDER BY" in inner and "LIMIT" in inner


def test_subqueryload_distinct_with_limit_selects_the_order_column(blog, sql_log):
    # SELECT DISTINCT ... ORDER BY needs the ORDER BY column selected on PostgreSQL
    with Session(blog) as s:
        log = sql_log(blog)
        stmt = select(Post).order_by(Post.title.desc()).limit(2).options(subqueryload(Post.author))
        posts = s.scalars(stmt).all()
        assert [(p.title, p.author.name) for p in posts] == [("p3", "ann"), ("p2", "bob")]
        assert _inner_select(log.sql[-1]).startswith("(SELECT DISTINCT ")


def test_subqueryload_chain_wraps_each_loading_statement(blog, sql_log):
    with Session(blog) as s:
        log = sql_log(blog)
        stmt = select(Author).order_by(Author.id)
        authors = s.scalars(stmt.options(subqueryload(Author.posts).subqueryload(Post.tags))).all()
        assert log.count("SELECT") == 3
        assert [[[t.name for t in p.tags] for p in a.posts] for a in authors] == [
            [["orm", "sql"], []],
            [["sql"]],
        ]
        assert log.count("SELECT") == 3


def test_lazy_subquery_relationship_reports_its_strategy_and_loads(blog, sql_log):
    assert inspect(SubqueryNode).relationships["children"].lazy == "subquery"
    with Session(blog) as s:
        log = sql_log(blog)
        stmt = select(Author).options(selectinload(Author.posts).subqueryload(Post.tags))
        authors = {a.name: a for a in s.scalars(stmt)}
        # the subquery wraps the select-in query of the posts (on PostgreSQL its batch of
        # keys is one array parameter)
        selectin = "= ANY(" if blog.dialect.name == "postgresql" else "IN ("
        assert selectin in _inner_select(log.sql[-1])
        assert [t.name for t in authors["ann"].posts[0].tags] == ["orm", "sql"]
        assert log.count("SELECT") == 3


def test_distinct_target_key_must_be_none_true_or_false():
    with pytest.raises(exc.ArgumentError, match="distinct_target_key"):
        relationship("X", distinct_target_key="yes")


# -- comparator_factory -------------------------------------------------------------------
class PieceComparator(RelationshipProperty.Comparator):
    """``Writer.pieces.titled(x)`` is added; ``Writer.pieces == "title"`` compares titles."""

    def titled(self, title: str) -> Any:
        return super().any(Piece.title == title)

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        if isinstance(other, str):
            return self.titled(other)
        return super().__eq__(other)


class Writer(Base):
    __tablename__ = "la_writer"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    pieces: Mapped[list[Piece]] = relationship(comparator_factory=PieceComparator)


class Piece(Base):
    __tablename__ = "la_piece"
    id: Mapped[int] = mapped_column(primary_key=True)
    writer_id: Mapped[int] = mapped_column(ForeignKey("la_writer.id"))
    title: Mapped[str] = mapped_column(String(20))


def test_comparator_factory_gives_the_attribute_its_operators(db):
    with Session(db) as s:
        s.add_all(
            [
                Writer(id=1, name="w1", pieces=[Piece(title="intro"), Piece(title="outro")]),
                Writer(id=2, name="w2", pieces=[Piece(title="solo")]),
                Writer(id=3, name="w3"),
            ]
        )
        s.commit()
        q = select(Writer.name).order_by(Writer.name)
        assert s.scalars(q.where(Writer.pieces.titled("solo"))).all() == ["w2"]
        assert s.scalars(q.where(Writer.pieces == "outro")).all() == ["w1"]
        w3 = s.get(Writer, 3)
        assert s.scalars(q.where(Writer.pieces.any())).all() == ["w1", "w2"]  # built-in
        assert s.scalars(q.where(~Writer.pieces.any())).all() == [w3.name]
        piece = s.scalars(select(Piece).where(Piece.title == "solo")).one()
        assert s.scalars(q.where(Writer.pieces.contains(piece))).all() == ["w2"]
        assert isinstance(Writer.pieces.comparator, PieceComparator)
        assert Writer.pieces.comparator.mapper is inspect(Piece)
        with pytest.raises(AttributeError, match="no_such_op"):
            Writer.pieces.no_such_op


def test_comparator_factory_must_subclass_the_relationship_comparator():
    with pytest.raises(exc.ArgumentError, match="comparator_factory"):
        relationship("X", comparator_factory=object)


# -- query_class ----------------------------------------------------------------------------
class TitledQuery(Query[Any]):
    """A legacy Query subclass with an application's own method."""

    def titled(self, title: str) -> TitledQuery:
        return self.filter_by(title=title)


class Shelf(Base):
    __tablename__ = "la_shelf"
    id: Mapped[int] = mapped_column(primary_key=True)
    books: Mapped[list[Book]] = relationship(lazy="dynamic", query_class=TitledQuery)


class Book(Base):
    __tablename__ = "la_book"
    id: Mapped[int] = mapped_column(primary_key=True)
    shelf_id: Mapped[int] = mapped_column(ForeignKey("la_shelf.id"))
    title: Mapped[str] = mapped_column(String(20))


def test_query_class_methods_are_available_on_the_dynamic_collection(db):
    with Session(db) as s:
        shelf = Shelf(id=1)
        s.add(shelf)
        shelf.books.append(Book(title="a"))
        shelf.books.extend([Book(title="b"), Book(title="a")])
        s.commit()
        assert isinstance(shelf.books, TitledQuery)
        assert shelf.books.titled("a").count() == 2
        assert [b.title for b in shelf.books.titled("b")] == ["b"]
        assert shelf.books.count() == 3
        assert s.scalar(select(func.count()).select_from(Book)) == 3


def test_query_class_is_refused_where_it_would_be_ignored():
    with pytest.raises(exc.ArgumentError, match="query_class"):
        relationship("X", query_class=dict)
    with pytest.raises(exc.ArgumentError, match="query_class"):
        relationship("X", lazy="write_only", query_class=TitledQuery)

    class B2(DeclarativeBase):
        pass

    with pytest.raises(exc.ArgumentError, match="query_class"):

        class P2(B2):
            __tablename__ = "la_p2"
            id: Mapped[int] = mapped_column(primary_key=True)
            kids: Mapped[list[Any]] = relationship("K2", query_class=TitledQuery)


def test_query_class_with_dynamic_mapped_annotation(db):
    from uow_orm.orm import DynamicMapped

    class B3(DeclarativeBase):
        pass

    class Box(B3):
        __tablename__ = "la_box"
        id: Mapped[int] = mapped_column(primary_key=True)
        books: DynamicMapped[Book3] = relationship(query_class=TitledQuery)

    class Book3(B3):
        __tablename__ = "la_book3"
        id: Mapped[int] = mapped_column(primary_key=True)
        box_id: Mapped[int] = mapped_column(ForeignKey("la_box.id"))
        title: Mapped[str] = mapped_column(String(20))

    B3.metadata.create_all(db)
    try:
        with Session(db) as s:
            box = Box(id=1)
            s.add(box)
            box.books.extend([Book3(title="x"), Book3(title="y")])
            s.commit()
            assert [b.title for b in box.books.titled("y")] == ["y"]
    finally:
        B3.metadata.drop_all(db)


# -- omit_join ------------------------------------------------------------------------------
class Team(Base):
    __tablename__ = "la_team"
    id: Mapped[int] = mapped_column(primary_key=True)
    members: Mapped[list[Member]] = relationship(
        lazy="selectin", omit_join=False, order_by="Member.id"
    )


class Member(Base):
    __tablename__ = "la_member"
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("la_team.id"))
    name: Mapped[str] = mapped_column(String(20))


def test_omit_join_false_makes_selectin_join_the_parent_table(db, sql_log):
    with Session(db) as s:
        s.add_all([Team(id=1, members=[Member(name="a"), Member(name="b")]), Team(id=2)])
        s.commit()
    with Session(db) as s:
        log = sql_log(db)
        teams = s.scalars(select(Team).order_by(Team.id)).all()
        assert [[m.name for m in t.members] for t in teams] == [["a", "b"], []]
        assert log.count("SELECT") == 2
        assert "la_team" in log.sql[-1] and "JOIN" in log.sql[-1]
    with pytest.raises(exc.ArgumentError, match="omit_join"):
        relationship("X", omit_join=True)


def test_remaining_unsupported_arguments_are_refused_by_name():
    for kw in ({"enable_typechecks": False}, {"load_on_pending": True}):
        with pytest.raises(exc.ArgumentError, match=next(iter(kw))):
            relationship("X", **kw)
    relationship("X", enable_typechecks=True, load_on_pending=False)  # the defaults


def test_list_of_a_dynamic_collection_runs_one_select_and_len_is_refused(db, sql_log):
    with Session(db) as s:
        shelf = Shelf(id=1, books=[Book(title="a"), Book(title="b")])
        s.add(shelf)
        s.commit()
        assert shelf.id == 1  # (refreshed after the commit)
        log = sql_log(db)
        assert sorted(b.title for b in list(shelf.books)) == ["a", "b"]
        assert log.count("SELECT") == 1  # (no hidden len() query first)
        with pytest.raises(TypeError):
            len(shelf.books)  # as in SQLAlchemy: use count()


# -- subquery loading: what the wrapped statement carries -----------------------------------
class Staff(Base):
    __tablename__ = "la_staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    dept_id: Mapped[int | None] = mapped_column(ForeignKey("la_dept.id"))
    dept: Mapped[Dept | None] = relationship(back_populates="staff")
    __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "staff"}


class Boss(Staff):
    __mapper_args__ = {"polymorphic_identity": "boss"}


class Dept(Base):
    __tablename__ = "la_dept"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(10))
    staff: Mapped[list[Staff]] = relationship(back_populates="dept", order_by="Staff.id")
    bosses: Mapped[list[Boss]] = relationship(viewonly=True, order_by="Boss.id")


@pytest.fixture
def depts(db):
    with Session(db) as s:
        a, b, c = Dept(id=1, name="a"), Dept(id=2, name="b"), Dept(id=3, name="c")
        s.add_all([a, b, c])
        s.add_all([Staff(id=1, dept=a), Boss(id=2, dept=a), Staff(id=3, dept=b)])
        s.add_all([Staff(id=4), Boss(id=5, dept=c)])
        s.commit()
    return db


def _staff_ids(depts: Any, attr: str = "staff") -> list[tuple[int, list[int]]]:
    return [(d.id, [m.id for m in getattr(d, attr)]) for d in depts]


def test_subqueryload_of_a_single_table_subclass_loads_its_rows_only(depts):
    with Session(depts) as s:
        got = s.scalars(select(Dept).order_by(Dept.id).options(subqueryload(Dept.bosses))).all()
        assert _staff_ids(got, "bosses") == [(1, [2]), (2, []), (3, [5])]


def test_subqueryload_of_a_query_with_a_join_and_criteria(depts):
    with Session(depts) as s:
        stmt = (
            select(Dept)
            .join(Dept.staff)
            .where(Staff.id > 1)
            .order_by(Dept.id)
            .options(subqueryload(Dept.staff))
        )
        # the collections hold every member: the criteria pick the parents only
        assert _staff_ids(s.scalars(stmt).unique().all()) == [(1, [1, 2]), (2, [3]), (3, [5])]


def test_subqueryload_with_loader_criteria_and_populate_existing(depts):
    from uow_orm.orm import with_loader_criteria

    with Session(depts) as s:
        first = s.scalars(select(Dept).order_by(Dept.id)).all()
        assert [m.id for m in first[0].staff] == [1, 2]  # loaded lazily
        stmt = (
            select(Dept)
            .order_by(Dept.id)
            .options(subqueryload(Dept.staff), with_loader_criteria(Staff, Staff.id != 2))
            .execution_options(populate_existing=True)
        )
        assert _staff_ids(s.scalars(stmt).all()) == [(1, [1]), (2, [3]), (3, [5])]


def test_subqueryload_from_the_legacy_query(depts, sql_log):
    with Session(depts) as s:
        log = sql_log(depts)
        q = s.query(Dept).options(subqueryload(Dept.staff)).filter(Dept.id < 3).order_by(Dept.id)
        assert _staff_ids(q.all()) == [(1, [1, 2]), (2, [3])]
        assert log.count("SELECT") == 2
        assert "la_dept.id < " in _inner_select(log.sql[-1])


# -- oracle: the levels each strategy loads, compared with SQLAlchemy -----------------------
def _levels_scenario(sa: Any, orm: Any, url: str, lazy: str, depth: int | None, opt: str) -> Any:
    """(SELECTs of the query, nodes with children loaded per level) for a 4-level tree."""

    class B(orm.DeclarativeBase):
        pass

    kw = {} if depth is None else {"join_depth": depth}

    class N(B):
        __tablename__ = "oracle_node"
        id = orm.mapped_column(sa.Integer, primary_key=True)
        parent_id = orm.mapped_column(sa.ForeignKey("oracle_node.id"))
        data = orm.mapped_column(sa.String(20))
        children = orm.relationship("N", lazy=lazy, order_by="N.id", **kw)

    engine = sa.create_engine(url)
    B.metadata.create_all(engine)
    with orm.Session(engine) as s:
        s.add(_tree(N, "r", 4))
        s.commit()
    selects: list[str] = []
    sa.event.listen(
        engine,
        "before_cursor_execute",
        lambda *a: selects.append(a[2]) if "SELECT" in a[2] else None,
    )
    with orm.Session(engine) as s:
        stmt = sa.select(N).where(N.parent_id.is_(None))
        if opt:
            stmt = stmt.options(getattr(orm, opt)(N.children))
        root = s.scalars(stmt).unique().one()
        out = (len(selects), _loaded_per_level(root))
    engine.dispose()
    return out


@pytest.mark.parametrize("opt", ["", "selectinload", "joinedload"])
@pytest.mark.parametrize("depth", [None, 2])
@pytest.mark.parametrize("lazy", ["joined", "selectin", "subquery"])
def test_self_referential_levels_match_sqlalchemy(tmp_path, lazy, depth, opt):
    import sqlalchemy
    import sqlalchemy.orm

    import uow_orm
    import uow_orm.orm

    ours = _levels_scenario(uow_orm, uow_orm.orm, f"sqlite:///{tmp_path}/o.db", lazy, depth, opt)
    theirs = _levels_scenario(
        sqlalchemy, sqlalchemy.orm, f"sqlite:///{tmp_path}/t.db", lazy, depth, opt
    )
    if (lazy, depth, opt) == ("subquery", 2, "selectinload"):
        # the documented difference: join_depth counts from the query's root here, while
        # SQLAlchemy's subquery loader below a select-in level loads one level more
        assert (ours, theirs) == ((3, [1, 2, 0]), (4, [1, 2, 4, 0]))
        return
    assert ours == theirs
