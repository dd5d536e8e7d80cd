"""SQLite's type vocabulary: ``DATETIME`` / ``DATE`` / ``TIME`` with a ``storage_format``,
``JSON``, and the generic uppercase names.

Re-exported by `uow_orm.dialects.sqlite`. On PostgreSQL these types behave as their
generic counterparts (the storage format applies only to SQLite's text storage).

Called by: uow_orm.dialects.sqlite, uow_orm.dialects.sqlite.* (base).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .. import exc
from .._generic_types import (
    BLOB,
    BOOLEAN,
    CHAR,
    DECIMAL,
    FLOAT,
    INTEGER,
    NUMERIC,
    REAL,
    SMALLINT,
    TEXT,
    TIMESTAMP,
    VARCHAR,
)
from ..types import JSON, Date, DateTime, Processor, Time

_FIELDS = {
    "datetime": ("year", "month", "day", "hour", "minute", "second", "microsecond"),
    "date": ("year", "month", "day"),
    "time": ("hour", "minute", "second", "microsecond"),
}


class _StorageFormat:
    """A text storage format (``%(year)04d-...``) and the regexp reading it back."""

    _kind = "datetime"
    _base: Any = None

    def _setup(self, storage_format: str | None, regexp: str | re.Pattern[str] | None) -> None:
        self.storage_format = storage_format
        self.regexp = re.compile(regexp) if isinstance(regexp, str) else regexp
        if storage_format is not None:
            try:
                storage_format % dict.fromkeys(_FIELDS[self._kind], 0)
            except (KeyError, TypeError, ValueError) as e:
                raise exc.ArgumentError(
                    f"storage_format {storage_format!r} must use %(name)d fields among "
                    f"{', '.join(_FIELDS[self._kind])}: {e}"
                ) from None

    def _format_bind(self, check: Processor) -> Processor:
        fmt = self.storage_format
        fields = _FIELDS[self._kind]
        assert check is not None

        def bind(value: Any) -> Any:
            check(value)  # the generic type's checks (kind, time zone)
            return fmt % {f: getattr(value, f) for f in fields}  # type: ignore[operator]

        return bind

    def _parse(self, value: Any) -> Any:
        fields = _FIELDS[self._kind]
        if self.regexp is not None:
            m = self.regexp.match(value)
            if m is None:
                raise ValueError(f"{value!r} does not match {self.regexp.pattern!r}")
            named = m.groupdict()
            parts = (
                {k: int(v) for k, v in named.items() if v is not None}
                if named
                else dict(zip(fields, (int(g) for g in m.groups() if g is not None)))
            )
        else:
            parts = dict(zip(fields, (int(g) for g in re.findall(r"\d+", value))))
        factory: Any = {"date": dt.date, "time": dt.time}.get(self._kind, dt.datetime)
        return factory(**parts)


class DATETIME(_StorageFormat, DateTime):
    """SQLite ``DATETIME`` stored as text in ``storage_format`` (ISO 8601 by default),
    read back with ``regexp`` (named groups, or groups in year..microsecond order).

    Raises `exc.ArgumentError` for a format with unknown fields, or combined with
    ``timezone=True`` (the format has no offset field).
    """

    def __init__(
        self,
        timezone: bool = False,
        storage_format: str | None = None,
        regexp: str | re.Pattern[str] | None = None,
        truncate_microseconds: bool = False,
    ) -> None:
        super().__init__(timezone)
        if timezone and storage_format is not None:
            raise exc.ArgumentError("DATETIME(storage_format=...) cannot keep a time zone")
        if truncate_microseconds and storage_format is None:
            storage_format = "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d"
        self.truncate_microseconds = truncate_microseconds
        self._setup(storage_format, regexp)

    def bind_processor(self, dialect_name: str) -> Processor:
        check = super().bind_processor(dialect_name)
        if dialect_name != "sqlite" or self.storage_format is None:
            return check
        return self._format_bind(check)

    def result_processor(self, dialect_name: str) -> Processor:
        if dialect_name != "sqlite" or (self.storage_format is None and self.regexp is None):
            return super().result_processor(dialect_name)
        return self._parse


class DATE(_StorageFormat, Date):
    """SQLite ``DATE`` stored as text in ``storage_format`` (ISO 8601 by default)."""

    _kind = "date"

    def __init__(
        self, storage_format: str | None = None, regexp: str | re.Pattern[str] | None = None
    ) -> None:
        self._setup(storage_format, regexp)

    def bind_processor(self, dialect_name: str) -> Processor:
        check = super().bind_processor(dialect_name)
        if dialect_name != "sqlite" or self.storage_format is None:
            return check
        return self._format_bind(check)

    def result_processor(self, dialect_name: str) -> Processor:
        if dialect_name != "sqlite" or (self.storage_format is None and self.regexp is None):
            return super().result_processor(dialect_name)
        return self._parse


class TIME(_StorageFormat, Time):
    """SQLite ``TIME`` stored as text in ``storage_format`` (ISO 8601 by default)."""

    _kind = "time"

    def __init__(
        self,
        storage_format: str | None = None,
        regexp: str | re.Pattern[str] | None = None,
        truncate_microseconds: bool = False,
    ) -> None:
        if truncate_microseconds and storage_format is None:
            storage_format = "%(hour)02d:%(minute)02d:%(second)02d"
        self.truncate_microseconds = truncate_microseconds
        self._setup(storage_format, regexp)

    def bind_processor(self, dialect_name: str) -> Processor:
        check = super().bind_processor(dialect_name)
        if dialect_name != "sqlite" or self.storage_format is None:
            return check
        return self._format_bind(check)

    def result_processor(self, dialect_name: str) -> Processor:
        if dialect_name != "sqlite" or (self.storage_format is None and self.regexp is None):
            return super().result_processor(dialect_name)
        return self._parse


JSONB = JSON

__all__ = [
    "BLOB",
    "BOOLEAN",
    "CHAR",
    "DATE",
    "DATETIME",
    "DECIMAL",
    "FLOAT",
    "INTEGER",
    "JSON",
    "JSONB",
    "NUMERIC",
    "REAL",
    "SMALLINT",
    "TEXT",
    "TIME",
    "TIMESTAMP",
    "VARCHAR",
]
