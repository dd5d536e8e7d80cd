"""MySQL / MariaDB type names, for code that imports them (schema and form generators).

uow_orm cannot connect to MySQL (``create_engine("mysql://...")`` raises
`exc.ArgumentError`); each name is the nearest generic type, so the types work in
SQLite and PostgreSQL tables too, rendered there as that generic type.

Called by: no module of the package (an entry point for users).
"""

from __future__ import annotations

from typing import Any

from .. import exc
from .. import types as _t
from ._vendor import vendor_type

_INT = ("unsigned", "zerofill")
_STR = ("charset", "collation", "ascii", "binary", "unicode", "national")
_NUM = ("unsigned", "zerofill")


def _v(name: str, base: type[_t.TypeEngine], doc: str, **kw: Any) -> Any:
    return vendor_type("mysql", name, base, doc, **kw)


BIGINT = _v("BIGINT", _t.BIGINT, "MySQL BIGINT.", positional=("display_width",), options=_INT)
INTEGER = _v("INTEGER", _t.INTEGER, "MySQL INTEGER.", positional=("display_width",), options=_INT)
INT = INTEGER
MEDIUMINT = _v(
    "MEDIUMINT",
    _t.Integer,
    "MySQL MEDIUMINT (24 bits).",
    positional=("display_width",),
    options=_INT,
)
SMALLINT = _v(
    "SMALLINT", _t.SMALLINT, "MySQL SMALLINT.", positional=("display_width",), options=_INT
)
TINYINT = _v(
    "TINYINT",
    _t.SmallInteger,
    "MySQL TINYINT (8 bits; SMALLINT elsewhere).",
    positional=("display_width",),
    options=_INT,
)
BIT = _v(
    "BIT", _t.Integer, "MySQL BIT(n), as an int.", positional=("length",), ddl_args=("length",)
)
YEAR = _v("YEAR", _t.SmallInteger, "MySQL YEAR, as an int.", positional=("display_width",))
BOOLEAN = _v("BOOLEAN", _t.BOOLEAN, "MySQL BOOLEAN (TINYINT(1)).")
DECIMAL = _v(
    "DECIMAL", _t.DECIMAL, "MySQL DECIMAL(p, s).", options=_NUM, ddl_args=("precision", "scale")
)
NUMERIC = _v(
    "NUMERIC", _t.NUMERIC, "MySQL NUMERIC(p, s).", options=_NUM, ddl_args=("precision", "scale")
)
DOUBLE = _v("DOUBLE", _t.DOUBLE, "MySQL DOUBLE.", options=("scale", *_NUM))
FLOAT = _v("FLOAT", _t.FLOAT, "MySQL FLOAT.", options=("scale", *_NUM))
REAL = _v("REAL", _t.REAL, "MySQL REAL.", options=("scale", *_NUM))
CHAR = _v("CHAR", _t.CHAR, "MySQL CHAR(n).", options=_STR, ddl_args=("length",))
NCHAR = _v("NCHAR", _t.NCHAR, "MySQL NCHAR(n).", options=_STR, ddl_args=("length",))
VARCHAR = _v("VARCHAR", _t.VARCHAR, "MySQL VARCHAR(n).", options=_STR, ddl_args=("length",))
NVARCHAR = _v("NVARCHAR", _t.NVARCHAR, "MySQL NVARCHAR(n).", options=_STR, ddl_args=("length",))
TEXT = _v("TEXT", _t.TEXT, "MySQL TEXT.", options=_STR)
TINYTEXT = _v("TINYTEXT", _t.Text, "MySQL TINYTEXT (255 bytes).", options=_STR)
MEDIUMTEXT = _v("MEDIUMTEXT", _t.Text, "MySQL MEDIUMTEXT (16 MB).", options=_STR)
LONGTEXT = _v("LONGTEXT", _t.Text, "MySQL LONGTEXT (4 GB).", options=_STR)
BINARY = _v("BINARY", _t.BINARY, "MySQL BINARY(n).", ddl_args=("length",))
VARBINARY = _v("VARBINARY", _t.VARBINARY, "MySQL VARBINARY(n).", ddl_args=("length",))
BLOB = _v("BLOB", _t.BLOB, "MySQL BLOB.", options=("length",))
TINYBLOB = _v("TINYBLOB", _t.LargeBinary, "MySQL TINYBLOB.")
MEDIUMBLOB = _v("MEDIUMBLOB", _t.LargeBinary, "MySQL MEDIUMBLOB.")
LONGBLOB = _v("LONGBLOB", _t.LargeBinary, "MySQL LONGBLOB.")
DATE = _v("DATE", _t.DATE, "MySQL DATE.")
DATETIME = _v("DATETIME", _t.DATETIME, "MySQL DATETIME(fsp).", options=("fsp",), ddl_args=("fsp",))
TIMESTAMP = _v(
    "TIMESTAMP", _t.TIMESTAMP, "MySQL TIMESTAMP(fsp).", options=("fsp",), ddl_args=("fsp",)
)
TIME = _v("TIME", _t.TIME, "MySQL TIME(fsp).", options=("fsp",), ddl_args=("fsp",))
JSON = _v("JSON", _t.JSON, "MySQL JSON.")


class ENUM(_t.Enum):
    """MySQL ENUM('a', 'b') (or of an enum class): an ``Enum``; charset/collation options
    are kept as attributes."""

    def __init__(self, *enums: Any, **kw: Any) -> None:
        self.charset = kw.pop("charset", None)
        self.collation = kw.pop("collation", None)
        super().__init__(*enums, **kw)

    def ddl(self, dialect_name: str) -> str:
        if dialect_name == "mysql":
            return (
                "ENUM(" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in self.enums) + ")"
            )
        return super().ddl(dialect_name)


class SET(_t.String):
    """MySQL SET('a', 'b', ...): a comma-joined set of the given strings; as a plain
    ``String`` elsewhere (values are the joined text).

    Raises `exc.ArgumentError` when a value contains a comma.
    """

    def __init__(self, *values: str, retrieve_as_bitwise: bool = False, **kw: Any) -> None:
        bad = [v for v in values if not isinstance(v, str) or "," in v]
        if bad:
            raise exc.ArgumentError(f"SET values are str without commas, got {bad[0]!r}")
        if retrieve_as_bitwise:
            raise exc.ArgumentError("SET(retrieve_as_bitwise=True) is not supported")
        unknown = sorted(set(kw) - set(_STR))
        if unknown:
            raise exc.ArgumentError(f"SET() got unexpected keyword(s) {', '.join(unknown)}")
        self.values = tuple(values)
        self._repr_positional = self.values
        super().__init__(max((len(",".join(values)),), default=1) or 1)

    def ddl(self, dialect_name: str) -> str:
        if dialect_name == "mysql":
            return "SET(" + ", ".join("'" + v.replace("'", "''") + "'" for v in self.values) + ")"
        return super().ddl(dialect_name)

    def __repr__(self) -> str:
        return f"SET({', '.join(map(repr, self.values))})"


__all__ = [
    "BIGINT", "BINARY", "BIT", "BLOB", "BOOLEAN", "CHAR", "DATE", "DATETIME", "DECIMAL",
    "DOUBLE", "ENUM", "FLOAT", "INT", "INTEGER", "JSON", "LONGBLOB", "LONGTEXT", "MEDIUMBLOB",
    "MEDIUMINT", "MEDIUMTEXT", "NCHAR", "NUMERIC", "NVARCHAR", "REAL", "SET", "SMALLINT",
    "TEXT", "TIME", "TIMESTAMP", "TINYBLOB", "TINYINT", "TINYTEXT", "VARBINARY", "VARCHAR",
    "YEAR",
]  # fmt: skip

# ``mysql.dialect()`` raises: SQL for this backend cannot be compiled here.
from ._vendor import unsupported_dialect  # noqa: E402

dialect = unsupported_dialect("MySQL")
