"""PostgreSQL's type vocabulary: JSONB, ARRAY, ENUM, network, money, bit, text search, hstore.

Re-exported by `uow_orm.dialects.postgresql`; the types are ordinary `uow_orm.types`
types (usable in any MetaData) whose DDL and operators are PostgreSQL's.

Called by: uow_orm.dialects.postgresql, uow_orm.dialects.postgresql.* (base, json, ...),
uow_orm.dialects.postgresql_catalog,
uow_orm.migrate.autogenerate, uow_orm.sql.typed_ops (hstore()).
"""

from __future__ import annotations

import decimal
import ipaddress
import re
from typing import Any, ClassVar

from .. import exc
from .._generic_types import (
    ARRAY as _GenericARRAY,
)
from .._generic_types import (
    BIGINT,
    BOOLEAN,
    CHAR,
    DATE,
    DOUBLE_PRECISION,
    FLOAT,
    INTEGER,
    NUMERIC,
    REAL,
    SMALLINT,
    TEXT,
    UUID,
    VARCHAR,
    Interval,
)
from .._typebase import to_instance
from ..types import (
    JSON as _GenericJSON,
)
from ..types import (
    Concatenable,
    DateTime,
    Enum,
    Indexable,
    Integer,
    LargeBinary,
    Processor,
    Text,
    Time,
    TypeEngine,
    _BadValue,
    _expect,
)
from .base import quoted_name


# -- JSON / JSONB ------------------------------------------------------------------------------
class JSON(_GenericJSON):
    """PostgreSQL ``JSON`` (text kept as written); ``col["k"].astext`` is ``->>``."""

    class Comparator(_GenericJSON.Comparator):
        """``astext`` on top of the generic JSON path operators."""

        __slots__ = ()

        @property
        def astext(self) -> Any:
            from ..sql.typed_ops import json_astext

            return json_astext(self.expr)

    comparator_factory = Comparator

    def __init__(self, none_as_null: bool = False, astext_type: Any = None) -> None:
        super().__init__(none_as_null)
        self.astext_type = to_instance(astext_type) if astext_type is not None else Text()

    def ddl(self, dialect_name: str) -> str:
        return "JSON"

    def bind_processor(self, dialect_name: str) -> Processor:
        if dialect_name != "postgresql":
            return super().bind_processor(dialect_name)
        from psycopg.types.json import Json

        check = super().bind_processor("sqlite")  # the JSON-serializability check
        assert check is not None

        def wrap(value: Any) -> Any:
            check(value)
            return Json(value)

        return wrap


class JSONB(JSON):
    """PostgreSQL ``JSONB`` with its containment and key operators: ``contains``
    (``@>``), ``contained_by`` (``<@``), ``has_key`` (``?``), ``has_all`` (``?&``),
    ``has_any`` (``?|``)."""

    class Comparator(JSON.Comparator):
        """The JSONB operators."""

        __slots__ = ()

        def contains(self, other: Any, **kw: Any) -> Any:
            """``col @> other``: the document contains ``other``."""
            from ..sql.typed_ops import pg_binary

            return pg_binary(self.expr, "@>", other, None)

        def contained_by(self, other: Any) -> Any:
            """``col <@ other``."""
            from ..sql.typed_ops import pg_binary

            return pg_binary(self.expr, "<@", other, None)

        def has_key(self, key: Any) -> Any:
            """``col ? key``: the top level has ``key``."""
            from ..sql.typed_ops import pg_binary

            return pg_binary(self.expr, "?", key, Text())

        def has_all(self, keys: Any) -> Any:
            """``col ?& keys``: the top level has every key."""
            from ..sql.typed_ops import pg_binary, text_array_bind

            return pg_binary(self.expr, "?&", text_array_bind(keys), None)

        def has_any(self, keys: Any) -> Any:
            """``col ?| keys``: the top level has at least one of the keys."""
            from ..sql.typed_ops import pg_binary, text_array_bind

            return pg_binary(self.expr, "?|", text_array_bind(keys), None)

    comparator_factory = Comparator

    def ddl(self, dialect_name: str) -> str:
        return "JSONB" if dialect_name == "postgresql" else "JSON"

    def bind_processor(self, dialect_name: str) -> Processor:
        return _GenericJSON.bind_processor(self, dialect_name)


# -- ARRAY -------------------------------------------------------------------------------------
class ARRAY(_GenericARRAY):
    """PostgreSQL arrays, with ``contains`` (``@>``), ``contained_by`` (``<@``) and
    ``overlap`` (``&&``) besides indexing and ``any()``/``all()``."""

    class Comparator(_GenericARRAY.Comparator):
        """The PostgreSQL array operators."""

        __slots__ = ()

        def contains(self, other: Any, **kw: Any) -> Any:
            """``col @> other``: every element of ``other`` is in the array."""
            from ..sql.typed_ops import pg_binary

            return pg_binary(self.expr, "@>", other, None)

        def contained_by(self, other: Any) -> Any:
            """``col <@ other``."""
            from ..sql.typed_ops import pg_binary

            return pg_binary(self.expr, "<@", other, None)

        def overlap(self, other: Any) -> Any:
            """``col && other``: the arrays share an element."""
            from ..sql.typed_ops import pg_binary

            return pg_binary(self.expr, "&&", other, None)

    comparator_factory = Comparator


class NamedType(TypeEngine):
    """Base of PostgreSQL's named types (SQLAlchemy's ``NamedType``): `ENUM` and `DOMAIN`,
    which ``create_all`` creates before the tables using them and ``drop_all`` drops
    after (``create_type=False`` leaves that to you)."""


# -- ENUM --------------------------------------------------------------------------------------
class ENUM(NamedType, Enum):
    """A native PostgreSQL ``ENUM`` type; ``create_type=False`` leaves creating and
    dropping the type to you (it must exist before ``create_all``)."""

    def __init__(self, *enums: Any, create_type: bool = True, **kw: Any) -> None:
        if kw.get("native_enum") is False:
            raise exc.ArgumentError("postgresql.ENUM is always native; use Enum(native_enum=False)")
        kw.pop("native_enum", None)
        super().__init__(*enums, **kw)
        self.create_type = create_type


# -- DOMAIN ------------------------------------------------------------------------------------
class NamedDomainType:
    """A PostgreSQL ``CREATE DOMAIN``: created before the tables using it."""

    def __init__(self, domain: DOMAIN) -> None:
        self.domain = domain
        self.name = domain.name
        self.schema = domain.schema

    def quoted_name(self) -> str:
        """``name``, or ``schema.name``, quoted as needed."""
        from .._typebase import dialect_for_name

        quote = dialect_for_name("postgresql").quote
        if self.schema:
            return f"{quote(self.schema)}.{quote(self.name)}"
        return str(quote(self.name))

    def definition(self) -> str:
        """``CREATE DOMAIN name AS type [COLLATE] [DEFAULT] [CONSTRAINT] [NOT NULL] [CHECK]``."""
        from .._typebase import dialect_for_name

        d = self.domain
        quote = dialect_for_name("postgresql").quote
        sql = f"CREATE DOMAIN {self.quoted_name()} AS {d.data_type.ddl('postgresql')}"
        if d.collation is not None:
            sql += f" COLLATE {quote(quoted_name(d.collation, True))}"
        if d.default is not None:
            sql += f" DEFAULT {_sql_text(d.default, quote_str=True)}"
        if d.constraint_name is not None:
            sql += f" CONSTRAINT {quote(d.constraint_name)}"
        if d.not_null is not None:
            sql += " NOT NULL" if d.not_null else " NULL"
        if d.check is not None:
            sql += f" CHECK ({_sql_text(d.check, quote_str=False)})"
        return sql

    def create_sql(self) -> str:
        # CREATE DOMAIN has no IF NOT EXISTS; an existing domain of that name is kept.
        body = self.definition().replace("%", "%%")
        return f"DO $$ BEGIN {body}; EXCEPTION WHEN duplicate_object THEN NULL; END $$"

    def drop_sql(self) -> str:
        # Kept while another table still has a column of this domain.
        return (
            f"DO $$ BEGIN DROP DOMAIN IF EXISTS {self.quoted_name()}; "
            "EXCEPTION WHEN dependent_objects_still_exist THEN NULL; END $$"
        )


def _sql_text(value: Any, *, quote_str: bool) -> str:
    """A DOMAIN's DEFAULT / CHECK: a str as a literal (DEFAULT) or as SQL (CHECK), an SQL
    expression compiled with its values inline."""
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'" if quote_str else value
    compile_ = getattr(value, "compile", None)
    if compile_ is None:
        return str(value)
    from .._typebase import dialect_for_name

    return str(
        compile_(dialect=dialect_for_name("postgresql"), compile_kwargs={"literal_binds": True})
    )


class DOMAIN(NamedType):
    """A PostgreSQL ``DOMAIN``: a named type over ``data_type`` with an optional
    ``default``, ``not_null``, ``check`` (SQL text on ``VALUE``, or an expression) and
    ``collation``. A column of it reads and writes as ``data_type``; ``create_all`` /
    ``drop_all`` create and drop it (``create_type=False``: you do). On SQLite, which has
    no domains, the column is of ``data_type``.
    """

    def __init__(
        self,
        name: str,
        data_type: Any,
        *,
        collation: str | None = None,
        default: Any = None,
        constraint_name: str | None = None,
        not_null: bool | None = None,
        check: Any = None,
        create_type: bool = True,
        schema: str | None = None,
    ) -> None:
        self.name = name
        self.data_type = to_instance(data_type)
        self.collation = collation
        self.default = default
        self.constraint_name = constraint_name
        self.not_null = not_null
        self.check = check
        self.create_type = create_type
        self.schema = schema

    def ddl(self, dialect_name: str) -> str:
        if dialect_name == "postgresql":
            return NamedDomainType(self).quoted_name()
        return self.data_type.ddl(dialect_name)

    def bind_processor(self, dialect_name: str) -> Processor:
        return self.data_type._bind(dialect_name)

    def result_processor(self, dialect_name: str) -> Processor:
        return self.data_type._result(dialect_name)

    def _named_types(self, dialect_name: str) -> list[Any]:
        if dialect_name == "postgresql" and self.create_type:
            return [NamedDomainType(self)]
        return []

    @property
    def python_type(self) -> type:  # type: ignore[override]
        return self.data_type.python_type

    @property
    def comparator_factory(self) -> Any:  # type: ignore[override]
        return self.data_type.comparator_factory

    def __repr__(self) -> str:
        return f"DOMAIN({self.name!r}, {self.data_type!r})"


# -- dates and times ---------------------------------------------------------------------------
def _precision(p: int | None) -> str:
    return f"({p})" if p is not None else ""


class TIMESTAMP(DateTime):
    """``TIMESTAMP[(p)] WITH[OUT] TIME ZONE``."""

    def __init__(self, timezone: bool = False, precision: int | None = None) -> None:
        super().__init__(timezone)
        self.precision = precision

    def ddl(self, dialect_name: str) -> str:
        if dialect_name != "postgresql":
            return super().ddl(dialect_name)
        zone = "WITH" if self.timezone else "WITHOUT"
        return f"TIMESTAMP{_precision(self.precision)} {zone} TIME ZONE"


class TIME(Time):
    """``TIME[(p)] WITHOUT TIME ZONE`` (naive times; ``timezone=True`` is refused)."""

    def __init__(self, timezone: bool = False, precision: int | None = None) -> None:
        if timezone:
            raise exc.ArgumentError(
                "TIME(timezone=True) is not supported: store a TIMESTAMP(timezone=True)"
            )
        self.timezone = timezone
        self.precision = precision

    def ddl(self, dialect_name: str) -> str:
        if dialect_name != "postgresql":
            return super().ddl(dialect_name)
        return f"TIME{_precision(self.precision)} WITHOUT TIME ZONE"


class INTERVAL(Interval):
    """PostgreSQL ``INTERVAL [fields] [(p)]`` as `datetime.timedelta`."""

    def __init__(self, precision: int | None = None, fields: str | None = None) -> None:
        super().__init__(native=True, second_precision=precision)
        if fields is not None and not re.fullmatch(r"[A-Za-z ]+", fields):
            raise exc.ArgumentError(
                f"INTERVAL fields must be words like 'DAY TO SECOND': {fields!r}"
            )
        self.precision = precision
        self.fields = fields

    def ddl(self, dialect_name: str) -> str:
        if dialect_name != "postgresql":
            return super().ddl(dialect_name)
        fields = f" {self.fields.upper()}" if self.fields else ""
        return f"INTERVAL{fields}{_precision(self.precision)}"


# -- binary, numbers -----------------------------------------------------------------------------
class BYTEA(LargeBinary):
    """PostgreSQL ``BYTEA``."""


class MONEY(TypeEngine):
    """PostgreSQL ``MONEY``: binds `decimal.Decimal`, int or str; values come back as the
    server formats them (``'$12.34'``, locale dependent), as with SQLAlchemy."""

    python_type = str

    def ddl(self, dialect_name: str) -> str:
        return "MONEY"

    def bind_processor(self, dialect_name: str) -> Processor:
        def check(value: Any) -> Any:
            if isinstance(value, (decimal.Decimal, int, str)) and not isinstance(value, bool):
                return value
            raise _expect("a Decimal, int or str amount", value)

        return check


class OID(Integer):
    """PostgreSQL ``OID`` (an unsigned 32-bit object id)."""

    def ddl(self, dialect_name: str) -> str:
        return "OID"

    def bind_processor(self, dialect_name: str) -> Processor:
        def check(value: Any) -> Any:
            if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**32:
                return int(value)
            raise _expect("an int between 0 and 4294967295", value)

        return check


class REGCLASS(TypeEngine):
    """PostgreSQL ``REGCLASS`` (a table name resolved to its oid)."""

    python_type = str

    def ddl(self, dialect_name: str) -> str:
        return "REGCLASS"


# -- network addresses -------------------------------------------------------------------------
class _Network(TypeEngine):
    _ddl: ClassVar[str] = ""
    _py: ClassVar[Any] = None
    python_type = object

    def ddl(self, dialect_name: str) -> str:
        return self._ddl

    def bind_processor(self, dialect_name: str) -> Processor:
        parse = self._py
        name = self._ddl

        def check(value: Any) -> Any:
            if isinstance(value, str):
                if parse is not None:
                    try:
                        parse(value)
                    except ValueError as e:
                        raise _BadValue(f"{value!r} is not a valid {name}: {e}") from None
                return value
            if parse is not None and isinstance(
                value,
                (
                    ipaddress.IPv4Address,
                    ipaddress.IPv6Address,
                    ipaddress.IPv4Network,
                    ipaddress.IPv6Network,
                    ipaddress.IPv4Interface,
                    ipaddress.IPv6Interface,
                ),
            ):
                return value if dialect_name == "postgresql" else str(value)
            raise _expect(f"a str or ipaddress object for {name}", value)

        return check


class INET(_Network):
    """PostgreSQL ``INET``: binds str or `ipaddress` objects; psycopg returns
    `ipaddress.IPv4Address` / `IPv6Address` (or an interface when a netmask is set)."""

    _ddl = "INET"
    _py = staticmethod(ipaddress.ip_interface)


class CIDR(_Network):
    """PostgreSQL ``CIDR``: psycopg returns `ipaddress.IPv4Network` / `IPv6Network`."""

    _ddl = "CIDR"
    _py = staticmethod(ipaddress.ip_network)


class MACADDR(_Network):
    """PostgreSQL ``MACADDR``, as str (``'08:00:2b:01:02:03'``)."""

    _ddl = "MACADDR"
    python_type = str


class MACADDR8(_Network):
    """PostgreSQL ``MACADDR8``, as str."""

    _ddl = "MACADDR8"
    python_type = str


# -- bit strings, text search ------------------------------------------------------------------
class BIT(TypeEngine):
    """PostgreSQL ``BIT(n)`` / ``BIT VARYING(n)`` as str of ``0``/``1`` (``'101'``)."""

    python_type = str

    def __init__(self, length: int | None = None, varying: bool = False) -> None:
        self.length = length if length is not None or varying else 1
        self.varying = varying

    def ddl(self, dialect_name: str) -> str:
        base = "BIT VARYING" if self.varying else "BIT"
        return f"{base}({self.length})" if self.length else base

    def bind_processor(self, dialect_name: str) -> Processor:
        def check(value: Any) -> Any:
            if isinstance(value, str) and set(value) <= {"0", "1"}:
                return value
            raise _expect("a str of 0 and 1 digits", value)

        return check


class TSVECTOR(TypeEngine):
    """PostgreSQL ``TSVECTOR`` (a parsed document for full text search), as str."""

    python_type = str

    def ddl(self, dialect_name: str) -> str:
        return "TSVECTOR"


class TSQUERY(TypeEngine):
    """PostgreSQL ``TSQUERY``, as str."""

    python_type = str

    def ddl(self, dialect_name: str) -> str:
        return "TSQUERY"


class REGCONFIG(TypeEngine):
    """PostgreSQL ``REGCONFIG`` (a text search configuration name), as str."""

    python_type = str

    def ddl(self, dialect_name: str) -> str:
        return "REGCONFIG"


class JSONPATH(TypeEngine):
    """PostgreSQL ``JSONPATH`` (an SQL/JSON path expression), as str."""

    python_type = str

    def ddl(self, dialect_name: str) -> str:
        return "JSONPATH"


class CITEXT(Text):
    """PostgreSQL ``CITEXT`` (case-insensitive text; needs the citext extension)."""

    def ddl(self, dialect_name: str) -> str:
        return "CITEXT"


# -- HSTORE ------------------------------------------------------------------------------------
_HSTORE_PAIR = re.compile(
    r'\s*"((?:[^"\\]|\\.)*)"\s*=>\s*(NULL|"((?:[^"\\]|\\.)*)")\s*(?:,|$)', re.DOTALL
)
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)


def _hstore_quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def hstore_literal(value: dict[str, str | None]) -> str:
    """A dict as hstore text: ``"k"=>"v", "n"=>NULL``."""
    return ", ".join(
        f"{_hstore_quote(k)}=>{'NULL' if v is None else _hstore_quote(v)}" for k, v in value.items()
    )


def parse_hstore(text: str) -> dict[str, str | None]:
    """hstore text as the server sends it, back to a dict."""
    out: dict[str, str | None] = {}
    pos = 0
    while pos < len(text):
        m = _HSTORE_PAIR.match(text, pos)
        if m is None:
            if text[pos:].strip():
                raise ValueError(f"cannot parse hstore text at {text[pos : pos + 40]!r}")
            break
        key = _UNESCAPE.sub(r"\1", m.group(1))
        out[key] = None if m.group(2) == "NULL" else _UNESCAPE.sub(r"\1", m.group(3))
        pos = m.end()
    return out


class HSTORE(Indexable, Concatenable):
    """PostgreSQL ``HSTORE`` (str keys to str-or-None values) as a dict. Needs the
    extension in the database: ``CREATE EXTENSION IF NOT EXISTS hstore``.

    ``col["key"]`` (``->``), ``has_key``, ``has_all``, ``has_any``, ``contains`` (``@>``)
    and ``contained_by`` (``<@``) work in SQL.
    """

    python_type = dict
    hashable: ClassVar[bool] = False

    class Comparator(Concatenable.Comparator):
        """The hstore operators."""

        __slots__ = ()

        def __getitem__(self, key: Any) -> Any:
            from ..sql.typed_ops import Subscript

            return Subscript(self.expr, key, Text(), "hstore")

        def has_key(self, key: Any) -> Any:
            """``col ? key``."""
            from ..sql.typed_ops import pg_binary

            return pg_binary(self.expr, "?", key, Text())

        def has_all(self, keys: Any) -> Any:
            """``col ?& keys``."""
            from ..sql.typed_ops import pg_binary, text_array_bind

            return pg_binary(self.expr, "?&", text_array_bind(keys), None)

        def has_any(self, keys: Any) -> Any:
            """``col ?| keys``."""
            from ..sql.typed_ops import pg_binary, text_array_bind

            return pg_binary(self.expr, "?|", text_array_bind(keys), None)

        def contains(self, other: Any, **kw: Any) -> Any:
            """``col @> other``."""
            from ..sql.elements import BindParameter
            from ..sql.typed_ops import CastSuffix, pg_binary

            return pg_binary(
                self.expr, "@>", CastSuffix(BindParameter(None, other, self.type), "hstore"), None
            )

        def contained_by(self, other: Any) -> Any:
            """``col <@ other``."""
            from ..sql.elements import BindParameter
            from ..sql.typed_ops import CastSuffix, pg_binary

            return pg_binary(
                self.expr, "<@", CastSuffix(BindParameter(None, other, self.type), "hstore"), None
            )

    comparator_factory = Comparator

    def __init__(self, text_type: Any = None) -> None:
        self.text_type = to_instance(text_type) if text_type is not None else Text()

    def ddl(self, dialect_name: str) -> str:
        return "HSTORE"

    def bind_processor(self, dialect_name: str) -> Processor:
        def to_text(value: Any) -> Any:
            if not isinstance(value, dict):
                raise _expect("a dict of str to str or None", value)
            for k, v in value.items():
                if not isinstance(k, str) or not (v is None or isinstance(v, str)):
                    raise _BadValue(
                        f"hstore keys and values are str (values may be None): {k!r}: {v!r}"
                    )
            return hstore_literal(value)

        return to_text

    def result_processor(self, dialect_name: str) -> Processor:
        def to_dict(value: Any) -> Any:
            return value if isinstance(value, dict) else parse_hstore(value)

        return to_dict


__all__ = [
    "ARRAY",
    "BIGINT",
    "BIT",
    "BOOLEAN",
    "BYTEA",
    "CHAR",
    "CIDR",
    "CITEXT",
    "DATE",
    "DOMAIN",
    "DOUBLE_PRECISION",
    "ENUM",
    "FLOAT",
    "HSTORE",
    "INET",
    "INTEGER",
    "INTERVAL",
    "JSON",
    "JSONB",
    "JSONPATH",
    "MACADDR",
    "MACADDR8",
    "MONEY",
    "NUMERIC",
    "OID",
    "REAL",
    "REGCLASS",
    "REGCONFIG",
    "SMALLINT",
    "TEXT",
    "TIME",
    "TIMESTAMP",
    "TSQUERY",
    "TSVECTOR",
    "UUID",
    "VARCHAR",
    "NamedType",
]
