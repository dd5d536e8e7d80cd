"""``uow_orm.ext.associationproxy`` over set and dict collections and scalar relationships,
with ``creator``, and the proxied comparisons in queries, written from SQLAlchemy's
association proxy documentation (the models of its "Simplifying Scalar Collections" and
"Proxying to Dictionary Based Collections" sections). Results were checked against
SQLAlchemy 2.1; rows read back on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import fetch

from uow_orm import Column, ForeignKey, Session, String, Table, exc, inspect, select
from uow_orm.ext.associationproxy import (
    AssociationProxy,
    AssociationProxyExtensionType,
    AssociationProxyInstance,
    ColumnAssociationProxyInstance,
    ObjectAssociationProxyInstance,
    association_proxy,
)
from uow_orm.ext.hybrid import HybridExtensionType, hybrid_property
from uow_orm.orm import DeclarativeBase, Mapped, attribute_keyed_dict, mapped_column, relationship


class Base(DeclarativeBase):
    pass


user_tag = Table(
    "ap_user_tag",
    Base.metadata,
    Column("user_id", ForeignKey("ap_user.id"), primary_key=True),
    Column("tag_id", ForeignKey("ap_tag.id"), primary_key=True),
)


class User(Base):
    __tablename__ = "ap_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    tag_objs: Mapped[set[Tag]] = relationship(secondary=user_tag)
    tags: AssociationProxy[set[str]] = association_proxy("tag_objs", "label")
    user_keyword_associations: Mapped[dict[str, UserKeywordAssociation]] = relationship(
        back_populates="user",
        collection_class=attribute_keyed_dict("special_key"),
        cascade="all, delete-orphan",
    )
    keywords: AssociationProxy[dict[str, Keyword]] = association_proxy(
        "user_keyword_associations",
        "keyword",
        creator=lambda k, v: UserKeywordAssociation(special_key=k, keyword=v),
    )
    profile: Mapped[Profile | None] = relationship(back_populates="user")
    bio: AssociationProxy[str | None] = association_proxy(
        "profile", "bio", creator=lambda b: Profile(bio=b)
    )
    raw_bio: AssociationProxy[str | None] = association_proxy(
        "profile", "bio", cascade_scalar_deletes=True
    )

    @hybrid_property
    def shout(self) -> str:
        return self.name.upper()


class Tag(Base):
    __tablename__ = "ap_tag"
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(64))

    def __init__(self, label: str) -> None:  # called positionally, as SQLAlchemy does
        self.label = label


class UserKeywordAssociation(Base):
    __tablename__ = "ap_user_keyword"
    user_id: Mapped[int] = mapped_column(ForeignKey("ap_user.id"), primary_key=True)
    keyword_id: Mapped[int] = mapped_column(ForeignKey("ap_keyword.id"), primary_key=True)
    special_key: Mapped[str] = mapped_column(String(20))
    user: Mapped[User] = relationship(back_populates="user_keyword_associations")
    keyword: Mapped[Keyword] = relationship()


class Keyword(Base):
    __tablename__ = "ap_keyword"
    id: Mapped[int] = mapped_column(primary_key=True)
    keyword: Mapped[str] = mapped_column(String(64))

    def __init__(self, keyword: str) -> None:
        self.keyword = keyword


class Profile(Base):
    __tablename__ = "ap_profile"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ap_user.id"))
    bio: Mapped[str | None] = mapped_column(String(20))
    user: Mapped[User | None] = relationship(back_populates="profile")


def test_set_proxy_adds_discards_and_ignores_duplicates() -> None:
    u = User(name="log")
    u.tags.add("a")
    u.tags.add("b")
    u.tags |= {"c"}
    assert u.tags == {"a", "b", "c"} and len(u.tags) == 3
    assert "a" in u.tags and "z" not in u.tags
    u.tags.add("a")
    assert len(u.tag_objs) == 3  # no second Tag("a")
    u.tags.discard("c")
    assert sorted(u.tags) == ["a", "b"]
    with pytest.raises(KeyError):
        u.tags.remove("zz")
    assert {t.label for t in u.tag_objs} == {"a", "b"}


def test_set_proxy_round_trip_and_assignment(db: Any) -> None:
    with Session(db) as s:
        s.add(User(id=1, name="log", tags={"a", "b"}))
        s.commit()
    with Session(db) as s:
        u = s.get(User, 1)
        assert u.tags == {"a", "b"}
        kept = next(t for t in u.tag_objs if t.label == "a")
        u.tags = {"a", "q"}  # "b" leaves, "q" is created, "a" keeps its Tag
        assert kept in u.tag_objs
        s.commit()
    assert fetch(
        db,
        "SELECT t.label FROM ap_tag t JOIN ap_user_tag ut ON ut.tag_id = t.id ORDER BY 1",
    ) == [("a",), ("q",)]


def test_dict_proxy_uses_the_creator_with_key_and_value(db: Any) -> None:
    u = User(id=1, name="log")
    u.keywords["sk1"] = Keyword("k1")
    u.keywords["sk2"] = Keyword("k2")
    assert sorted(u.keywords) == ["sk1", "sk2"] and len(u.keywords) == 2
    assert u.user_keyword_associations["sk1"].special_key == "sk1"
    assert u.keywords["sk1"].keyword == "k1" and u.keywords.get("nope") is None
    u.keywords["sk1"] = Keyword("k1b")  # an existing key: its association object is kept
    assert len(u.user_keyword_associations) == 2
    assert u.keywords["sk1"].keyword == "k1b"
    del u.keywords["sk2"]
    u.keywords.update({"sk3": Keyword("k3")})
    with Session(db) as s:
        s.add(u)
        s.commit()
    rows = fetch(
        db,
        "SELECT a.special_key, k.keyword FROM ap_user_keyword a "
        "JOIN ap_keyword k ON k.id = a.keyword_id ORDER BY 1",
    )
    assert rows == [("sk1", "k1b"), ("sk3", "k3")]
    with Session(db) as s:
        loaded = s.get(User, 1)
        assert {k: v.keyword for k, v in loaded.keywords.items()} == {"sk1": "k1b", "sk3": "k3"}
        loaded.keywords = {"z": Keyword("kz")}
        s.commit()
    assert fetch(db, "SELECT special_key FROM ap_user_keyword") == [("z",)]


def test_dict_proxy_without_creator_over_declarative_constructor_is_refused() -> None:
    class Base2(DeclarativeBase):
        pass

    class Owner(Base2):
        __tablename__ = "ap2_owner"
        id: Mapped[int] = mapped_column(primary_key=True)
        notes: Mapped[dict[str, Note]] = relationship(collection_class=attribute_keyed_dict("key"))
        texts = association_proxy("notes", "text")

    class Note(Base2):
        __tablename__ = "ap2_note"
        id: Mapped[int] = mapped_column(primary_key=True)
        owner_id: Mapped[int | None] = mapped_column(ForeignKey("ap2_owner.id"))
        key: Mapped[str] = mapped_column(String(10))
        text: Mapped[str] = mapped_column(String(10))

    with pytest.raises(exc.ArgumentError, match="creator=lambda key, value"):
        Owner().texts["a"] = "x"


def test_scalar_proxy_none_sets_the_attribute_or_unlinks_with_cascade_scalar_deletes() -> None:
    u = User(name="x")
    u.bio = None  # no profile: nothing is created
    assert u.profile is None
    u.bio = "q"
    profile = u.profile
    u.bio = None
    assert u.profile is profile and profile.bio is None
    u.raw_bio = "r"
    u.raw_bio = None  # cascade_scalar_deletes: the profile is unlinked
    assert u.profile is None
    u.bio = "again"
    del u.bio
    assert u.profile is None


@pytest.fixture
def seeded(db: Any) -> Any:
    with Session(db) as s:
        log = User(id=1, name="log", tags={"a", "b"})
        log.keywords["sk"] = Keyword("k3")
        log.bio = "hello"
        s.add_all([log, User(id=2, name="other", tags={"x"})])
        s.commit()
    return db


def _names(s: Session, criterion: Any) -> list[str]:
    return sorted(s.scalars(select(User.name).where(criterion)).all())


def test_proxied_comparisons_in_queries(seeded: Any) -> None:
    with Session(seeded) as s:
        assert _names(s, User.tags.any()) == ["log", "other"]
        assert _names(s, User.tags.any(Tag.label == "b")) == ["log"]
        assert _names(s, User.tags == "x") == ["other"]
        assert _names(s, User.tags != "x") == ["log"]
        assert _names(s, User.tags.like("%x%")) == ["other"]
        assert _names(s, User.tags.in_(["a", "q"])) == ["log"]
        assert _names(s, User.tags.contains("a")) == ["log"]  # LIKE, as SQLAlchemy
        assert _names(s, User.bio == "hello") == ["log"]
        assert _names(s, User.bio != "hello") == []
        assert _names(s, User.bio == None) == ["other"]  # noqa: E711 - no profile at all
        assert _names(s, User.bio.has()) == ["log"]
        assert _names(s, User.bio.startswith("he")) == ["log"]
        assert _names(s, User.keywords.any(Keyword.keyword == "k3")) == ["log"]
        k3 = s.scalars(select(Keyword).where(Keyword.keyword == "k3")).one()
        assert _names(s, User.keywords.contains(k3)) == ["log"]


def test_wrong_comparison_for_the_proxy_shape_is_refused() -> None:
    with pytest.raises(exc.InvalidRequestError, match="use any"):
        User.tags.has()
    with pytest.raises(exc.InvalidRequestError, match="use has"):
        User.bio.any()
    with pytest.raises(exc.InvalidRequestError, match="collection proxy"):
        User.keywords == Keyword("x")  # noqa: B015


def test_class_attribute_is_an_association_proxy_instance() -> None:
    assert isinstance(User.tags, ColumnAssociationProxyInstance)
    assert isinstance(User.keywords, ObjectAssociationProxyInstance)
    assert isinstance(User.bio, AssociationProxyInstance)
    assert User.tags.target_class is Tag and User.tags.value_attr == "label"
    assert User.tags.collection_class is set and User.keywords.collection_class is dict
    assert User.bio.scalar and not User.tags.scalar
    assert User.tags.local_attr is User.tag_objs and User.tags.remote_attr is Tag.label
    proxy = User.__dict__["tags"]
    assert isinstance(proxy, AssociationProxy) and proxy.target_collection == "tag_objs"
    assert proxy.for_class(User).target_class is Tag


def test_all_orm_descriptors_lists_proxies_and_hybrids() -> None:
    descriptors = inspect(User).all_orm_descriptors
    assert descriptors["tags"].extension_type is AssociationProxyExtensionType.ASSOCIATION_PROXY
    assert descriptors["shout"].extension_type is HybridExtensionType.HYBRID_PROPERTY
    assert "name" in descriptors and "tag_objs" in descriptors


def test_unsupported_factories_are_refused() -> None:
    with pytest.raises(exc.ArgumentError, match="proxy_bulk_set"):
        association_proxy("a", "b", proxy_bulk_set=lambda *a: None)


def test_one_to_one_relationship_compares_with_none_and_has(seeded: Any) -> None:
    with Session(seeded) as s:
        assert _names(s, User.profile == None) == ["other"]  # noqa: E711
        assert _names(s, User.profile != None) == ["log"]  # noqa: E711
        assert _names(s, User.profile.has(Profile.bio == "hello")) == ["log"]
        with pytest.raises(exc.InvalidRequestError, match="use has"):
            User.profile.any()
