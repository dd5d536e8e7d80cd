"""Microsoft SQL Server type names, for code that imports them (schema and form generators).

uow_orm cannot connect to SQL Server (``create_engine("mssql+pyodbc://...")`` raises
`exc.ArgumentError`); each name is the nearest generic type, rendered as that type in
SQLite and PostgreSQL tables.

Called by: no module of the package (an entry point for users).
"""

from __future__ import annotations

from typing import Any

from .. import types as _t
from ._vendor import vendor_type


def _v(name: str, base: type[_t.TypeEngine], doc: str, **kw: Any) -> Any:
    return vendor_type("mssql", name, base, doc, **kw)


_STR = ("collation",)

BIGINT = _v("BIGINT", _t.BIGINT, "SQL Server BIGINT.")
INTEGER = _v("INTEGER", _t.INTEGER, "SQL Server INT.")
SMALLINT = _v("SMALLINT", _t.SMALLINT, "SQL Server SMALLINT.")
TINYINT = _v("TINYINT", _t.SmallInteger, "SQL Server TINYINT (0-255; SMALLINT elsewhere).")
BIT = _v("BIT", _t.Boolean, "SQL Server BIT, as a bool.")
DECIMAL = _v("DECIMAL", _t.DECIMAL, "SQL Server DECIMAL(p, s).", ddl_args=("precision", "scale"))
NUMERIC = _v("NUMERIC", _t.NUMERIC, "SQL Server NUMERIC(p, s).", ddl_args=("precision", "scale"))
MONEY = _v("MONEY", _t.Numeric, "SQL Server MONEY, as a Decimal.")
SMALLMONEY = _v("SMALLMONEY", _t.Numeric, "SQL Server SMALLMONEY, as a Decimal.")
FLOAT = _v("FLOAT", _t.FLOAT, "SQL Server FLOAT(p).")
REAL = _v("REAL", _t.REAL, "SQL Server REAL.")
DOUBLE_PRECISION = _v("DOUBLE_PRECISION", _t.DOUBLE_PRECISION, "SQL Server DOUBLE PRECISION.")
CHAR = _v("CHAR", _t.CHAR, "SQL Server CHAR(n).", options=_STR, ddl_args=("length",))
VARCHAR = _v("VARCHAR", _t.VARCHAR, "SQL Server VARCHAR(n).", options=_STR, ddl_args=("length",))
NCHAR = _v("NCHAR", _t.NCHAR, "SQL Server NCHAR(n).", options=_STR, ddl_args=("length",))
NVARCHAR = _v(
    "NVARCHAR", _t.NVARCHAR, "SQL Server NVARCHAR(n).", options=_STR, ddl_args=("length",)
)
TEXT = _v("TEXT", _t.TEXT, "SQL Server TEXT.", options=_STR)
NTEXT = _v("NTEXT", _t.UnicodeText, "SQL Server NTEXT.", options=_STR)
XML = _v("XML", _t.Text, "SQL Server XML, as str.")
BINARY = _v("BINARY", _t.BINARY, "SQL Server BINARY(n).", ddl_args=("length",))
VARBINARY = _v(
    "VARBINARY",
    _t.VARBINARY,
    "SQL Server VARBINARY(n).",
    options=("filestream",),
    ddl_args=("length",),
)
IMAGE = _v("IMAGE", _t.LargeBinary, "SQL Server IMAGE, as bytes.")
ROWVERSION = _v(
    "ROWVERSION",
    _t.LargeBinary,
    "SQL Server ROWVERSION (server-set bytes).",
    options=("convert_int",),
)
TIMESTAMP = _v(
    "TIMESTAMP",
    _t.LargeBinary,
    "SQL Server TIMESTAMP: a ROWVERSION (bytes), not a date.",
    options=("convert_int",),
)
DATE = _v("DATE", _t.DATE, "SQL Server DATE.")
TIME = _v("TIME", _t.TIME, "SQL Server TIME(p).", options=("precision",), ddl_args=("precision",))
DATETIME = _v("DATETIME", _t.DATETIME, "SQL Server DATETIME.")
DATETIME2 = _v(
    "DATETIME2",
    _t.DateTime,
    "SQL Server DATETIME2(p).",
    options=("precision",),
    ddl_args=("precision",),
)
SMALLDATETIME = _v("SMALLDATETIME", _t.DateTime, "SQL Server SMALLDATETIME.")


class DATETIMEOFFSET(_t.DateTime):
    """SQL Server DATETIMEOFFSET(p): timezone-aware datetimes (``DateTime(timezone=True)``)."""

    def __init__(self, precision: int | None = None) -> None:
        super().__init__(timezone=True)
        self.precision = precision

    def ddl(self, dialect_name: str) -> str:
        if dialect_name == "mssql":
            return "DATETIMEOFFSET" + (f"({self.precision})" if self.precision is not None else "")
        return super().ddl(dialect_name)


UNIQUEIDENTIFIER = _v("UNIQUEIDENTIFIER", _t.UUID, "SQL Server UNIQUEIDENTIFIER, as uuid.UUID.")
SQL_VARIANT = _v("SQL_VARIANT", _t.String, "SQL Server SQL_VARIANT, as str.")
JSON = _v("JSON", _t.JSON, "SQL Server JSON (NVARCHAR(max)).")

__all__ = [
    "BIGINT", "BINARY", "BIT", "CHAR", "DATE", "DATETIME", "DATETIME2", "DATETIMEOFFSET",
    "DECIMAL", "DOUBLE_PRECISION", "FLOAT", "IMAGE", "INTEGER", "JSON", "MONEY", "NCHAR",
    "NTEXT", "NUMERIC", "NVARCHAR", "REAL", "ROWVERSION", "SMALLDATETIME", "SMALLINT",
    "SMALLMONEY", "SQL_VARIANT", "TEXT", "TIME", "TIMESTAMP", "TINYINT", "UNIQUEIDENTIFIER",
    "VARBINARY", "VARCHAR", "XML",
]  # fmt: skip

# ``mssql.dialect()`` raises: SQL for this backend cannot be compiled here.
from ._vendor import unsupported_dialect  # noqa: E402

dialect = unsupported_dialect("SQL Server")
