"""Database URLs: parsing ``dialect+driver://user:password@host:port/database?query``.

Used by ``create_engine``; the password never appears in ``str()`` or ``repr()``.

Called by: uow_orm.engine, uow_orm.engine.base, uow_orm.engine.create,
uow_orm.migrate.commands.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from .. import exc

_URL_RE = re.compile(
    r"""
    ^(?P<scheme>[\w+.-]+)://
    (?:
        (?:(?P<username>[^:/@]*)(?::(?P<password>[^@]*))?@)?
        (?P<host>\[[^\]]+\]|[^/:?]*)
        (?::(?P<port>[^/?]*))?
    )?
    (?:/(?P<database>[^?]*))?
    (?:\?(?P<query>.*))?$
    """,
    re.X,
)


@dataclass(frozen=True)
class URL:
    """An immutable, parsed database URL."""

    drivername: str
    username: str | None = None
    password: str | None = None
    host: str | None = None
    port: int | None = None
    database: str | None = None
    query: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(
        cls,
        drivername: str,
        username: str | None = None,
        password: str | None = None,
        host: str | None = None,
        port: int | None = None,
        database: str | None = None,
        query: Mapping[str, str] | None = None,
    ) -> URL:
        """A URL from its parts, as SQLAlchemy's ``URL.create()``: the password is plain
        text (no escaping needed: ``"kx@jj5/g"`` stays that password).

        Raises:
            ArgumentError: a part of the wrong type.
        """
        if not isinstance(drivername, str) or not drivername:
            raise exc.ArgumentError(
                f"URL.create(): drivername must be a string, got {drivername!r}"
            )
        if port is not None and not isinstance(port, int):
            raise exc.ArgumentError(f"URL.create(): port must be an integer, got {port!r}")
        return cls(drivername, username, password, host, port, database, dict(query or {}))

    def get_backend_name(self) -> str:
        """The backend part of the scheme (``"postgresql"``), SQLAlchemy's name."""
        return self.backend

    def get_driver_name(self) -> str | None:
        """The driver part of the scheme (``"psycopg"``), or None when not given."""
        return self.driver

    @property
    def backend(self) -> str:
        """The dialect part of the scheme: ``postgresql`` for ``postgresql+psycopg``."""
        return self.drivername.split("+", 1)[0]

    @property
    def driver(self) -> str | None:
        """The driver part of ``dialect+driver`` (``"psycopg"``), or None when not given."""
        parts = self.drivername.split("+", 1)
        return parts[1] if len(parts) == 2 else None

    def set(self, **kw: Any) -> URL:
        """A copy with the given fields replaced."""
        return replace(self, **kw)

    def render(self, hide_password: bool = True) -> str:
        """The URL as a string; the password shows as ``***`` unless ``hide_password=False``."""
        s = self.drivername + "://"
        if self.username is not None:
            s += quote(self.username, safe="")
            if self.password is not None:
                s += ":" + ("***" if hide_password else quote(self.password, safe=""))
            s += "@"
        if self.host is not None:
            s += self.host
        if self.port is not None:
            s += f":{self.port}"
        if self.database is not None:
            s += "/" + self.database
        if self.query:
            s += "?" + "&".join(f"{k}={v}" for k, v in sorted(self.query.items()))
        return s

    def render_as_string(self, hide_password: bool = True) -> str:
        """The URL as a string (SQLAlchemy's name); the password is hidden unless
        ``hide_password=False``."""
        return self.render(hide_password)

    def __str__(self) -> str:
        return self.render(hide_password=True)

    def __repr__(self) -> str:
        return self.render(hide_password=True)


def make_url(url: str | URL) -> URL:
    """Parse ``url``; raise `uow_orm.exc.ArgumentError` when it is not a URL."""
    if isinstance(url, URL):
        return url
    if not isinstance(url, str):
        raise exc.ArgumentError(f"expected a database URL string, got {type(url).__name__}")
    m = _URL_RE.match(url.strip())
    if m is None:
        raise exc.ArgumentError(
            f"could not parse a database URL from {url!r}; expected e.g. "
            "'sqlite:///file.db' or 'postgresql://user:pw@host/db'"
        )
    g = m.groupdict()
    port: int | None = None
    if g["port"]:
        try:
            port = int(g["port"])
        except ValueError:
            raise exc.ArgumentError(f"invalid port {g['port']!r} in database URL") from None
    return URL(
        drivername=g["scheme"].lower(),
        username=unquote(g["username"]) if g["username"] is not None else None,
        password=unquote(g["password"]) if g["password"] is not None else None,
        host=g["host"] or None,
        port=port,
        database=unquote(g["database"]) if g["database"] else None,
        query=dict(parse_qsl(g["query"] or "")),
    )


__all__ = ["URL", "make_url"]
