"""Oracle type names, for code that imports them (schema and form generators).

uow_orm cannot connect to Oracle (``create_engine("oracle://...")`` raises
`exc.ArgumentError`); each name is the nearest generic type, rendered as that type in
SQLite and PostgreSQL tables.

Called by: no module of the package (an entry point for users).
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from .. import types as _t
from ._vendor import vendor_type


def _v(name: str, base: type[_t.TypeEngine], doc: str, **kw: Any) -> Any:
    return vendor_type("oracle", name, base, doc, **kw)


class NUMBER(_t.Numeric, _t.Integer):
    """Oracle NUMBER(p, s): a Decimal, or an int when ``scale`` is 0 (as SQLAlchemy
    decides ``asdecimal``)."""

    def __init__(
        self, precision: int | None = None, scale: int | None = None, asdecimal: bool | None = None
    ) -> None:
        if asdecimal is None:
            asdecimal = bool(scale and scale > 0)
        super().__init__(precision, scale, asdecimal=asdecimal)
        self._explicit_asdecimal = asdecimal

    @property
    def python_type(self) -> type:  # type: ignore[override]
        return decimal.Decimal if self.asdecimal else int

    def ddl(self, dialect_name: str) -> str:
        if dialect_name == "oracle":
            args = [str(a) for a in (self.precision, self.scale) if a is not None]
            return "NUMBER" + (f"({', '.join(args)})" if args else "")
        return _t.Numeric.ddl(self, dialect_name)

    def bind_processor(self, dialect_name: str) -> Any:
        return _t.Numeric.bind_processor(self, dialect_name)

    def result_processor(self, dialect_name: str) -> Any:
        proc = _t.Numeric._decimal_result_processor(self, dialect_name)
        if self.asdecimal:
            return proc
        if proc is None:
            return int
        inner = proc
        return lambda value: int(inner(value))


class DATE(_t.DateTime):
    """Oracle DATE, which holds a time of day too: a ``DateTime`` (as in SQLAlchemy)."""

    def ddl(self, dialect_name: str) -> str:
        return "DATE" if dialect_name == "oracle" else super().ddl(dialect_name)


class INTERVAL(_t.Interval):
    """Oracle INTERVAL DAY TO SECOND, as `datetime.timedelta`."""

    python_type = dt.timedelta

    def __init__(
        self, day_precision: int | None = None, second_precision: int | None = None
    ) -> None:
        super().__init__(
            native=True, second_precision=second_precision, day_precision=day_precision
        )


_STR = ("collation",)

BINARY_DOUBLE = _v("BINARY_DOUBLE", _t.Double, "Oracle BINARY_DOUBLE.")
BINARY_FLOAT = _v("BINARY_FLOAT", _t.Float, "Oracle BINARY_FLOAT.")
DOUBLE_PRECISION = _v("DOUBLE_PRECISION", _t.DOUBLE_PRECISION, "Oracle DOUBLE PRECISION.")
FLOAT = _v("FLOAT", _t.FLOAT, "Oracle FLOAT(binary_precision).", options=("binary_precision",))
REAL = _v("REAL", _t.REAL, "Oracle REAL.")
BOOLEAN = _v("BOOLEAN", _t.BOOLEAN, "Oracle BOOLEAN.")
CHAR = _v("CHAR", _t.CHAR, "Oracle CHAR(n).", options=_STR, ddl_args=("length",))
NCHAR = _v("NCHAR", _t.NCHAR, "Oracle NCHAR(n).", options=_STR, ddl_args=("length",))
VARCHAR = _v("VARCHAR", _t.VARCHAR, "Oracle VARCHAR(n).", options=_STR, ddl_args=("length",))
VARCHAR2 = _v("VARCHAR2", _t.VARCHAR, "Oracle VARCHAR2(n).", options=_STR, ddl_args=("length",))
NVARCHAR = _v("NVARCHAR", _t.NVARCHAR, "Oracle NVARCHAR(n).", options=_STR, ddl_args=("length",))
NVARCHAR2 = _v("NVARCHAR2", _t.NVARCHAR, "Oracle NVARCHAR2(n).", options=_STR, ddl_args=("length",))
CLOB = _v("CLOB", _t.CLOB, "Oracle CLOB.", options=_STR)
NCLOB = _v("NCLOB", _t.Text, "Oracle NCLOB.", options=_STR)
LONG = _v("LONG", _t.Text, "Oracle LONG (legacy long text).", options=_STR)
BLOB = _v("BLOB", _t.BLOB, "Oracle BLOB.")
BFILE = _v("BFILE", _t.LargeBinary, "Oracle BFILE (an external file), as bytes.")
RAW = _v("RAW", _t.VARBINARY, "Oracle RAW(n), as bytes.", ddl_args=("length",))
ROWID = _v("ROWID", _t.String, "Oracle ROWID, as str.")
TIMESTAMP = _v(
    "TIMESTAMP", _t.TIMESTAMP, "Oracle TIMESTAMP [WITH TIME ZONE].", options=("local_timezone",)
)
JSON = _v("JSON", _t.JSON, "Oracle JSON.")

__all__ = [
    "BFILE", "BINARY_DOUBLE", "BINARY_FLOAT", "BLOB", "BOOLEAN", "CHAR", "CLOB", "DATE",
    "DOUBLE_PRECISION", "FLOAT", "INTERVAL", "JSON", "LONG", "NCHAR", "NCLOB", "NUMBER",
    "NVARCHAR", "NVARCHAR2", "RAW", "REAL", "ROWID", "TIMESTAMP", "VARCHAR", "VARCHAR2",
]  # fmt: skip

# ``oracle.dialect()`` raises: SQL for this backend cannot be compiled here.
from ._vendor import unsupported_dialect  # noqa: E402

dialect = unsupported_dialect("Oracle")
