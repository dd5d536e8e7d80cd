"""A guided tour of uow_orm on a throwaway SQLite file: ``python -m uow_orm.demo``.

Run by people trying the library (it is the README's first command) and by
tests/test_docs.py; the library never imports it.

Called by: no module of the package (an entry point for users).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from uow_orm import (
    DeclarativeBase,
    ForeignKey,
    Mapped,
    Session,
    String,
    create_engine,
    inspect,
    mapped_column,
    relationship,
    select,
    text,
)


class Base(DeclarativeBase):
    """The demo's declarative base."""

    pass


class Author(Base):
    """An author (table ``authors``) with a one-to-many ``books`` collection."""

    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    books: Mapped[list[Book]] = relationship("Book", back_populates="author")


class Book(Base):
    """A book (table ``books``) whose ``author`` is the many-to-one side of ``Author.books``."""

    __tablename__ = "books"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))
    author: Mapped[Author] = relationship("Author", back_populates="books")


def say(step: str) -> None:
    """One line of narration, set apart from the SQL that echo=True prints."""
    print(f"\n=== {step}", flush=True)


def tour(database: Path) -> None:
    """Run the narrated tour against a new SQLite file at ``database``, echoing the SQL."""
    engine = create_engine(f"sqlite:///{database}", echo=True)
    try:
        say(f"Creating the tables in {database} (parents before children)")
        Base.metadata.create_all(engine)

        with Session(engine) as session:
            say("Adding an author with two books; one commit inserts all three rows")
            ursula = Author(name="Ursula K. Le Guin")
            ursula.books.append(Book(title="A Wizard of Earthsea"))
            ursula.books.append(Book(title="The Left Hand of Darkness"))
            session.add(ursula)  # the books come along: save-update cascade
            session.commit()
            print(f"committed: {ursula!r} with {len(ursula.books)} books")

            say("Opening a savepoint, changing things inside it, then rolling it back")
            savepoint = session.begin_nested()
            ursula.name = "U. K. Le Guin"
            extra = Book(title="A draft nobody will read")
            ursula.books.append(extra)
            session.flush()  # the UPDATE and INSERT reach the database, inside the savepoint
            savepoint.rollback()
            print(f"after the savepoint rollback the name is back: {ursula.name!r}")
            print(f"and the draft book is transient again: {inspect(extra).transient}")
            session.commit()

            say("Changing the row behind the session's back, then expiring the object")
            session.execute(
                text("UPDATE authors SET name = :name WHERE id = :id"),
                {"name": "Ursula Kroeber Le Guin", "id": ursula.id},
            )
            print(f"the object still holds the old value: {ursula.name!r}")
            session.expire(ursula)
            print(f"expired, so the next read reloads it: {ursula.name!r}")

            say("Refreshing: reload the object right now, discarding unflushed changes")
            ursula.name = "a change we will throw away"
            session.refresh(ursula)
            print(f"after refresh: {ursula.name!r}")
            session.commit()

            say("Querying with select(): one object per row, thanks to the identity map")
            titles = session.scalars(select(Book.title).order_by(Book.title)).all()
            print(f"books in the database: {titles}")
            same = session.scalars(select(Author).where(Author.name.like("Ursula%"))).one()
            print(f"the query returned the very same object: {same is ursula}")
    finally:
        engine.dispose()
    say("Done. Read the tutorial next: docs/tutorial.md")


def main() -> None:
    """Run the tour in a temporary directory that is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="uow_orm_demo_") as tmp:
        tour(Path(tmp) / "demo.sqlite")


if __name__ == "__main__":
    main()
