"""Revision files and the graph they form: heads, bases, and the path between two states.

Called by the migration commands (``commands.py``) and the runner. A revision is a plain
Python file in ``<directory>/versions/`` defining ``revision``, ``down_revision`` (None, a
revision id, or a tuple of ids for a merge), ``upgrade()`` and ``downgrade()``.

Called by: uow_orm.migrate, uow_orm.migrate.*.
"""

from __future__ import annotations

import importlib.util
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from .. import exc


class MigrationError(exc.OrmError):
    """A migration could not be found, ordered or run; the message says which and why."""


@dataclass
class Revision:
    """One revision file."""

    revision: str
    down_revisions: tuple[str, ...]
    message: str
    path: Path
    upgrade: Callable[[], None]
    downgrade: Callable[[], None]
    #: revisions whose down_revision names this one (filled by ScriptDirectory)
    next_revisions: list[str] = field(default_factory=list)

    @property
    def is_merge(self) -> bool:
        """True for a merge revision (one with several down revisions)."""
        return len(self.down_revisions) > 1

    def __repr__(self) -> str:
        return f"<Revision {self.revision} {self.message!r}>"


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"uow_orm_revision_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise MigrationError(f"cannot load revision file {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _down(value: object, path: Path) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (tuple, list)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise MigrationError(f"{path.name}: down_revision must be None, a str or a tuple of str")


class ScriptDirectory:
    """The revisions of a migration directory, as a graph."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.versions = self.directory / "versions"
        if not self.versions.is_dir():
            raise MigrationError(
                f"{self.versions} does not exist; create the directory with "
                f"'python -m uow_orm.migrate init {self.directory}'"
            )
        self.revisions: dict[str, Revision] = {}
        for path in sorted(self.versions.glob("*.py")):
            if path.name.startswith("_"):
                continue
            module = _load(path)
            rev = getattr(module, "revision", None)
            if not isinstance(rev, str) or not rev:
                raise MigrationError(f"{path.name} has no revision = '...' string")
            for fn in ("upgrade", "downgrade"):
                if not callable(getattr(module, fn, None)):
                    raise MigrationError(f"{path.name} has no {fn}() function")
            if rev in self.revisions:
                raise MigrationError(
                    f"revision {rev} is defined twice: {self.revisions[rev].path.name} and "
                    f"{path.name}"
                )
            doc = (module.__doc__ or "").strip().splitlines()
            self.revisions[rev] = Revision(
                rev,
                _down(getattr(module, "down_revision", None), path),
                getattr(module, "message", None) or (doc[0] if doc else ""),
                path,
                module.upgrade,
                module.downgrade,
            )
        for r in self.revisions.values():
            for d in r.down_revisions:
                if d not in self.revisions:
                    raise MigrationError(
                        f"{r.path.name}: down_revision {d!r} names no revision in {self.versions}"
                    )
                self.revisions[d].next_revisions.append(r.revision)
        self._check_acyclic()

    def _check_acyclic(self) -> None:
        state: dict[str, int] = {}

        def visit(rev: str) -> None:
            state[rev] = 1
            for d in self.revisions[rev].down_revisions:
                if state.get(d) == 1:
                    raise MigrationError(f"revision {rev} and {d} form a cycle")
                if d not in state:
                    visit(d)
            state[rev] = 2

        for rev in self.revisions:
            if rev not in state:
                visit(rev)

    # -- the graph ---------------------------------------------------------------------
    @property
    def heads(self) -> list[str]:
        """Revisions nothing builds on, sorted."""
        return sorted(r.revision for r in self.revisions.values() if not r.next_revisions)

    @property
    def bases(self) -> list[str]:
        """Revisions with no down revision, sorted."""
        return sorted(r.revision for r in self.revisions.values() if not r.down_revisions)

    def get(self, rev: str) -> Revision:
        """A revision by id or by an unambiguous prefix of it."""
        if rev in self.revisions:
            return self.revisions[rev]
        found = [r for r in self.revisions if r.startswith(rev)]
        if len(found) == 1:
            return self.revisions[found[0]]
        if not found:
            raise MigrationError(f"no revision {rev!r} in {self.versions}")
        raise MigrationError(f"revision prefix {rev!r} is ambiguous: {', '.join(sorted(found))}")

    def ancestors(self, revs: Iterable[str]) -> set[str]:
        """The given revisions and everything below them."""
        out: set[str] = set()
        todo = list(revs)
        while todo:
            r = todo.pop()
            if r not in out:
                out.add(r)
                todo.extend(self.revisions[r].down_revisions)
        return out

    def ordered(self, revs: set[str]) -> list[str]:
        """``revs`` bases first: every revision after all of its down revisions (ties by
        file name, so the order is stable)."""
        done: set[str] = set()
        out: list[str] = []
        pending = sorted(revs, key=lambda r: self.revisions[r].path.name)
        while pending:
            for r in pending:
                if all(d in done or d not in revs for d in self.revisions[r].down_revisions):
                    out.append(r)
                    done.add(r)
                    pending.remove(r)
                    break
        return out

    def resolve(self, target: str) -> set[str]:
        """The set of applied revisions that ``target`` means ("head", "heads", "base",
        an id or prefix)."""
        if target in ("head", "heads"):
            if target == "head" and len(self.heads) > 1:
                raise MigrationError(
                    f"there are several heads ({', '.join(self.heads)}); upgrade to 'heads', "
                    "to one of them, or merge them with 'revision -m merge --merge'"
                )
            return self.ancestors(self.heads)
        if target == "base":
            return set()
        return self.ancestors([self.get(target).revision])

    def upgrade_path(self, current: set[str], target: str) -> list[Revision]:
        """Revisions to apply, in order, to go from ``current`` up to ``target``."""
        applied = self.ancestors(current)
        todo = self.resolve(target) - applied
        return [self.revisions[r] for r in self.ordered(todo)]

    def downgrade_path(self, current: set[str], target: str) -> list[Revision]:
        """Revisions to undo, in order (newest first), to go from ``current`` down to
        ``target``."""
        applied = self.ancestors(current)
        keep = self.resolve(target)
        if not keep <= applied:
            raise MigrationError(f"{target} is not below the current revision; use upgrade")
        return [self.revisions[r] for r in reversed(self.ordered(applied - keep))]

    def heads_of(self, applied: set[str]) -> list[str]:
        """The revisions of ``applied`` that no other applied revision builds on."""
        return sorted(
            r for r in applied if not any(n in applied for n in self.revisions[r].next_revisions)
        )

    def relative(self, current: set[str], step: int) -> str:
        """``+N`` / ``-N`` from a single current head, as a revision id (or "base")."""
        heads = self.heads_of(self.ancestors(current))
        if len(heads) > 1:
            raise MigrationError("relative targets (+N/-N) need a single current revision")
        order = self.ordered(self.ancestors(self.heads)) if step > 0 else []
        if step > 0:
            at = order.index(heads[0]) if heads else -1
            if at + step >= len(order):
                raise MigrationError(f"+{step} goes past the head")
            return order[at + step]
        chain = self.ordered(self.ancestors(heads))
        if len(chain) + step < 0:
            raise MigrationError(f"{step} goes below base")
        return "base" if len(chain) + step == 0 else chain[len(chain) + step - 1]

    def history(self) -> list[Revision]:
        """Every revision, newest first."""
        return [self.revisions[r] for r in reversed(self.ordered(set(self.revisions)))]


def new_revision_id() -> str:
    """A fresh random revision id (12 hex digits)."""
    return uuid.uuid4().hex[:12]


def slug(message: str) -> str:
    """``message`` as a file-name fragment: lower case, runs of other characters as ``_``,
    at most 40 characters ("revision" when nothing is left).
    """
    return re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")[:40] or "revision"
