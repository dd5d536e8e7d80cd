"""Results of statements: ``Result``, ``Row``, ``ScalarResult``, ``MappingResult``.

Built by connections (plain rows) and by ORM loading (rows of objects). Rows are produced
lazily from an iterator so that ``partitions()`` can stream large results.

Called by: uow_orm.engine, uow_orm.engine.* (base, row, cursor), uow_orm.orm.*, uow_orm.sql.dml.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any, Generic, TypeVar, overload

from .. import exc

_T = TypeVar("_T")


def _tuple_of(other: object) -> tuple[Any, ...]:
    """A row's values, or a tuple itself, for ordering comparisons (TypeError otherwise)."""
    if isinstance(other, Row):
        return other._data
    if isinstance(other, tuple):
        return other
    raise TypeError(f"cannot order a Row and a {type(other).__name__}")


class Row:
    """One result row: a tuple that also answers to column names."""

    __slots__ = ("_data", "_keymap")

    def __init__(self, data: tuple[Any, ...], keymap: dict[str, int]) -> None:
        self._data = data
        self._keymap = keymap

    def __getitem__(self, index: Any) -> Any:
        return self._data[index]

    def __getattr__(self, name: str) -> Any:
        try:
            return self._data[self._keymap[name]]
        except KeyError:
            raise AttributeError(
                f"row has no column {name!r}; columns are {list(self._keymap)}"
            ) from None

    def __iter__(self) -> Iterator[Any]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Row):
            return self._data == other._data
        if isinstance(other, tuple):
            return self._data == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._data)

    # ordered as tuples, as SQLAlchemy's rows are (``sorted(result.all())``)
    def __lt__(self, other: object) -> bool:
        return self._data < _tuple_of(other)

    def __le__(self, other: object) -> bool:
        return self._data <= _tuple_of(other)

    def __gt__(self, other: object) -> bool:
        return self._data > _tuple_of(other)

    def __ge__(self, other: object) -> bool:
        return self._data >= _tuple_of(other)

    def __repr__(self) -> str:
        return repr(self._data)

    @property
    def _fields(self) -> tuple[str, ...]:
        return tuple(self._keymap)

    @property
    def _mapping(self) -> RowMapping:
        return RowMapping(self._data, self._keymap)

    def _asdict(self) -> dict[str, Any]:
        return {k: self._data[i] for k, i in self._keymap.items()}

    def _tuple(self) -> tuple[Any, ...]:
        return self._data

    @property
    def t(self) -> tuple[Any, ...]:
        """The row as a plain tuple (SQLAlchemy's ``Row.t``, for typed unpacking)."""
        return self._data


class RowMapping(Mapping[str, Any]):
    """A read-only mapping view of a row."""

    __slots__ = ("_data", "_keymap")

    def __init__(self, data: tuple[Any, ...], keymap: dict[str, int]) -> None:
        self._data = data
        self._keymap = keymap

    def __getitem__(self, key: Any) -> Any:
        if not isinstance(key, str):  # a column or ORM attribute: look it up by its key
            key = getattr(key, "key", None) or getattr(key, "name", key)
        return self._data[self._keymap[key]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keymap)

    def __len__(self) -> int:
        return len(self._keymap)

    def __repr__(self) -> str:
        return repr(dict(self))


def _keymap(keys: Sequence[str]) -> dict[str, int]:
    km: dict[str, int] = {}
    for i, k in enumerate(keys):
        km.setdefault(k, i)
    return km


class _Filtered:
    """Shared consumption logic: one/first/all over an iterator of items."""

    _iter: Iterator[Any]

    def _next(self) -> Any:
        return next(self._iter, _NO_ROW)

    def _all_items(self) -> list[Any]:
        return list(self._iter)

    def _one(self, *, allow_none: bool) -> Any:
        first = self._next()
        if first is _NO_ROW:
            if allow_none:
                return None
            raise _no_row()
        if self._next() is not _NO_ROW:
            raise _many_rows()
        return first


def _no_row() -> exc.NoResultFound:
    return exc.NoResultFound(
        "no row was found when exactly one was required; use one_or_none() or "
        "first() when zero rows is acceptable"
    )


def _many_rows() -> exc.MultipleResultsFound:
    return exc.MultipleResultsFound(
        "multiple rows were found when exactly one was required; narrow the query or use first()"
    )


_NO_ROW = object()


class Result(_Filtered):
    """The rows a statement returned."""

    def __init__(
        self,
        keys: Sequence[str],
        rows: Iterable[tuple[Any, ...]],
        *,
        rowcount: int = -1,
        close: Callable[[], None] | None = None,
    ) -> None:
        self._keys = list(keys)
        self._km = _keymap(self._keys)
        km = self._km
        # Rows are made on demand from one underlying iterator, which scalars() can read
        # directly (no Row objects for session.scalars(select(User))).
        self._source: Iterator[Any] = iter(rows)
        self._iter = (Row(r, km) for r in self._source)
        self._scalar_iter: Iterator[Any] | None = None
        self.rowcount = rowcount
        self._close = close
        self._unique = False
        self._require_unique = False

    _inserted_pk: Row | None = None
    #: the ``yield_per`` batch size of a streamed ORM result (the default partition size)
    _yield_per: int | None = None

    @property
    def inserted_primary_key(self) -> Row:
        """The primary key of the row a single-row ``insert()`` created (a Row)."""
        if self._inserted_pk is None:
            raise exc.InvalidRequestError(
                "inserted_primary_key is only available after a single-row insert() "
                "executed through Connection.execute()"
            )
        return self._inserted_pk

    @classmethod
    def from_scalars(cls, key: str, items: Iterable[Any]) -> Result:
        """A one-column result over ``items`` without building a tuple per row up front."""
        # __init__ written out for one key (every ORM query of one entity comes here)
        result: Result = _OneColumnResult.__new__(_OneColumnResult)
        d = result.__dict__
        d["_keys"] = [key]
        d["_km"] = {key: 0}
        d["rowcount"] = -1
        d["_close"] = None
        d["_unique"] = d["_require_unique"] = False
        d["_scalar_iter"] = iter(items)
        return result

    def _check_unique(self) -> None:
        if self._require_unique and not self._unique:
            raise exc.InvalidRequestError(
                "this result contains joined eager loads of collections, so a parent row "
                "repeats once per child; call .unique() on the result (e.g. "
                "session.execute(stmt).unique().scalars().all() or "
                "session.scalars(stmt).unique().all())"
            )

    @property
    def returns_rows(self) -> bool:
        """True when the statement produced rows (a SELECT or ``RETURNING``), False for plain
        DML."""
        return bool(self._keys)

    def keys(self) -> list[str]:
        """The column names of the rows, in order."""
        return list(self._keys)

    def __iter__(self) -> Iterator[Row]:
        self._check_unique()
        return self._iter

    def __next__(self) -> Row:
        row: Row = next(self._iter)
        return row

    def unique(self) -> Result:
        """Drop duplicate rows (needed after joined eager loading of collections)."""
        if not self._unique:
            self._unique = True
            self._iter = _dedupe(self._iter)
        return self

    def all(self) -> list[Row]:
        """Every remaining row as a list.

        Raises ``exc.InvalidRequestError`` when joined eager loading of a collection needs
        ``unique()`` first."""
        self._check_unique()
        return list(self._iter)

    def fetchall(self) -> list[Row]:
        """Every remaining row as a list (DB-API name of ``all()``)."""
        self._check_unique()
        return list(self._iter)

    def fetchone(self) -> Row | None:
        """The next row, or None when there are no more."""
        row = self._next()
        return None if row is _NO_ROW else row

    def fetchmany(self, size: int) -> list[Row]:
        """Up to ``size`` further rows (fewer at the end, an empty list when exhausted)."""
        return list(islice(self._iter, size))

    def first(self) -> Row | None:
        """The first row or None, then closes the result (further rows are discarded)."""
        self._check_unique()
        row = self._next()
        self.close()
        return None if row is _NO_ROW else row

    def one(self) -> Row:
        """Exactly one row.

        Raises ``exc.NoResultFound`` when there is none and ``exc.MultipleResultsFound`` when
        there are more."""
        self._check_unique()
        return self._one(allow_none=False)  # type: ignore[no-any-return]

    def one_or_none(self) -> Row | None:
        """One row or None; raises ``exc.MultipleResultsFound`` when there are more."""
        self._check_unique()
        return self._one(allow_none=True)  # type: ignore[no-any-return]

    def scalar(self) -> Any:
        """The first column of the first row, or None when there are no rows."""
        row = self.first()
        return None if row is None else row[0]

    def scalar_one(self) -> Any:
        """The first column of exactly one row (raises as ``one()`` does)."""
        return self.one()[0]

    def scalar_one_or_none(self) -> Any:
        """The first column of one row, or None when there is no row (raises as
        ``one_or_none()``)."""
        row = self.one_or_none()
        return None if row is None else row[0]

    def scalars(self, index: int = 0) -> ScalarResult[Any]:
        """A ``ScalarResult`` of column ``index`` (default the first) of each row.

        ``session.execute(select(User)).scalars()`` gives the ``User`` objects."""
        if self._require_unique and not self._unique:
            result: ScalarResult[Any] = ScalarResult(row[index] for row in self._iter)
            result._require_unique = True
        elif not self._unique:
            if self._scalar_iter is not None and index == 0:
                result = ScalarResult(self._scalar_iter)
            else:
                result = ScalarResult(r[index] for r in self._source)
        else:
            result = ScalarResult((row[index] for row in self._iter), unique=False)
        result._yield_per = self._yield_per
        return result

    def mappings(self) -> MappingResult:
        """A ``MappingResult``: each row as a read-only mapping of column name to value."""
        self._check_unique()
        return MappingResult(row._mapping for row in self._iter)

    def partitions(self, size: int | None = None) -> Iterator[list[Row]]:
        """Yield lists of at most ``size`` rows (default: the ``yield_per`` size, else
        1000), fetching as it goes."""
        self._check_unique()
        size = size or self._yield_per or 1000
        while True:
            chunk = list(islice(self._iter, size))
            if not chunk:
                return
            yield chunk

    def tuples(self) -> Iterator[tuple[Any, ...]]:
        """An iterator of the rows as plain tuples."""
        self._check_unique()
        return (row._data for row in self._iter)

    def merge(self, *others: Result) -> Result:
        """A Result of this result's remaining rows followed by those of ``others`` (of
        the same columns), as SQLAlchemy's ``Result.merge``: how a sharded session returns
        the rows of several databases. The rows are fetched now.

        Raises:
            InvalidRequestError: the results have different columns.
        """
        for other in others:
            if other._keys != self._keys:
                raise exc.InvalidRequestError(
                    f"cannot merge results with columns {self._keys} and {other._keys}"
                )
        parts = (self, *others)
        rows = [row._data for part in parts for row in part._iter]
        counts = [p.rowcount for p in parts if p.rowcount is not None and p.rowcount >= 0]
        merged = Result(self._keys, rows, rowcount=sum(counts) if counts else -1)
        merged._require_unique = any(p._require_unique and not p._unique for p in parts)
        return merged

    def freeze(self) -> FrozenResult:
        """Fetch the remaining rows into a `FrozenResult`: calling it gives a new Result
        over the same rows, as often as wanted (the result-caching recipe)."""
        return FrozenResult(self)

    def close(self) -> None:
        """Release the cursor; later fetches return nothing. Safe to call twice."""
        if self._close is not None:
            close, self._close = self._close, None
            close()

    def __enter__(self) -> Result:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _OneColumnResult(Result):
    """`Result.from_scalars`: one column over an iterator of values, whose row iterators
    (a tuple, then a `Row`, per value) are made only when something reads rows. Most such
    results are read by ``scalars()`` alone (``session.scalars(select(User))``), which
    takes the values directly: two generators less per query."""

    @property
    def _source(self) -> Iterator[Any]:
        d = self.__dict__
        source = d.get("_source_it")
        if source is None:
            source = d["_source_it"] = ((item,) for item in d["_scalar_iter"])
        return source

    @_source.setter
    def _source(self, value: Iterator[Any]) -> None:
        self.__dict__["_source_it"] = value

    @property
    def _iter(self) -> Iterator[Any]:
        d = self.__dict__
        rows = d.get("_iter_it")
        if rows is None:
            km = d["_km"]
            rows = d["_iter_it"] = (Row(r, km) for r in self._source)
        return rows

    @_iter.setter
    def _iter(self, value: Iterator[Any]) -> None:
        self.__dict__["_iter_it"] = value


class ScalarResult(_Filtered, Generic[_T]):
    """The first column of each row."""

    def __init__(self, items: Iterable[_T], *, unique: bool = False) -> None:
        self._iter = iter(items)
        self._require_unique = False
        self._yield_per: int | None = None
        self._unique = unique
        if unique:
            self._iter = _dedupe(self._iter)

    def _check_unique(self) -> None:
        if self._require_unique and not self._unique:
            raise exc.InvalidRequestError(
                "this result contains joined eager loads of collections, so an object "
                "repeats once per child; call .unique() first, e.g. "
                "session.scalars(stmt).unique().all()"
            )

    def __iter__(self) -> Iterator[_T]:
        self._check_unique()
        return self._iter

    def __next__(self) -> _T:
        item: _T = next(self._iter)
        return item

    def unique(self) -> ScalarResult[_T]:
        """Drop duplicate values (compared by identity for mapped objects, else by equality)."""
        if not self._unique:
            self._unique = True
            self._iter = _dedupe(self._iter)
        return self

    def all(self) -> list[_T]:
        """Every remaining value as a list."""
        self._check_unique()
        return list(self._iter)

    def fetchall(self) -> list[_T]:
        """Every remaining value as a list (DB-API name of ``all()``)."""
        self._check_unique()
        return list(self._iter)

    def fetchmany(self, size: int) -> list[_T]:
        """Up to ``size`` further values."""
        return list(islice(self._iter, size))

    def first(self) -> _T | None:
        """The first value or None, then closes the result."""
        self._check_unique()
        item = self._next()
        return None if item is _NO_ROW else item

    def one(self) -> _T:
        """Exactly one value; raises ``exc.NoResultFound`` or ``exc.MultipleResultsFound``
        otherwise."""
        if self._require_unique and not self._unique:
            self._check_unique()  # raises
        # `_one` written out (``session.scalars(stmt).one()`` is a common query's end)
        it = self._iter
        first: Any = next(it, _NO_ROW)
        if first is _NO_ROW:
            raise _no_row()
        if next(it, _NO_ROW) is not _NO_ROW:
            raise _many_rows()
        return first  # type: ignore[no-any-return]

    def one_or_none(self) -> _T | None:
        """One value or None; raises ``exc.MultipleResultsFound`` when there are more."""
        self._check_unique()
        return self._one(allow_none=True)  # type: ignore[no-any-return]

    def partitions(self, size: int | None = None) -> Iterator[list[_T]]:
        """Yield lists of at most ``size`` values (default: the ``yield_per`` size, else
        1000)."""
        self._check_unique()
        size = size or self._yield_per or 1000
        while True:
            chunk = list(islice(self._iter, size))
            if not chunk:
                return
            yield chunk


class MappingResult(_Filtered):
    """Rows as read-only mappings of column name to value."""

    def __init__(self, items: Iterable[RowMapping]) -> None:
        self._iter = iter(items)

    def __iter__(self) -> Iterator[RowMapping]:
        return self._iter

    def unique(self) -> MappingResult:
        """Drop duplicate rows."""
        self._iter = _dedupe(self._iter, key=lambda m: tuple(m.values()))
        return self

    def all(self) -> list[RowMapping]:
        """Every remaining row as a mapping, in a list."""
        return list(self._iter)

    def first(self) -> RowMapping | None:
        """The first row as a mapping or None, then closes the result."""
        item = self._next()
        return None if item is _NO_ROW else item

    def one(self) -> RowMapping:
        """Exactly one row as a mapping; raises ``exc.NoResultFound`` or
        ``exc.MultipleResultsFound`` otherwise."""
        return self._one(allow_none=False)  # type: ignore[no-any-return]

    def one_or_none(self) -> RowMapping | None:
        """One row as a mapping or None; raises ``exc.MultipleResultsFound`` when there are more."""
        return self._one(allow_none=True)  # type: ignore[no-any-return]

    def partitions(self, size: int | None = None) -> Iterator[list[RowMapping]]:
        """Yield lists of at most ``size`` mappings (default 1000)."""
        size = size or 1000
        while True:
            chunk = list(islice(self._iter, size))
            if not chunk:
                return
            yield chunk


@overload
def _dedupe(items: Iterator[_T]) -> Iterator[_T]: ...
@overload
def _dedupe(items: Iterator[_T], key: Callable[[_T], Any]) -> Iterator[_T]: ...
def _dedupe(items: Iterator[_T], key: Callable[[_T], Any] | None = None) -> Iterator[_T]:
    seen: set[Any] = set()
    for item in items:
        k = key(item) if key is not None else item
        try:
            if k in seen:
                continue
            seen.add(k)
        except TypeError:  # unhashable values: compare by identity
            k = id(item)
            if k in seen:
                continue
            seen.add(k)
        yield item


class FrozenResult:
    """The rows of a Result kept for reuse (``Result.freeze()``); ``frozen()`` makes a new
    Result over them. ``data`` holds the rows as tuples."""

    def __init__(self, result: Result) -> None:
        self.keys = result.keys()
        self.data: list[tuple[Any, ...]] = [row._data for row in result._iter]
        self.rowcount = result.rowcount
        self._require_unique = result._require_unique and not result._unique

    def __call__(self) -> Result:
        result = Result(self.keys, list(self.data), rowcount=self.rowcount)
        result._require_unique = self._require_unique
        return result

    def __repr__(self) -> str:
        return f"<FrozenResult {len(self.data)} rows>"


__all__ = ["FrozenResult", "MappingResult", "Result", "Row", "RowMapping", "ScalarResult"]
