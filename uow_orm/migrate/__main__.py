"""``python -m uow_orm.migrate``: the migration commands on the command line.

Called by users and CI; each subcommand is a thin wrapper over ``commands.py``. Exit
status 0 on success, 1 when ``check`` or ``verify`` finds a difference, 2 on an error.

Called by: no module of the package (an entry point for users).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import exc
from . import commands


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m uow_orm.migrate", description="Schema migrations for uow_orm."
    )
    parser.add_argument("-d", "--directory", help="migration directory (default: migrations)")
    parser.add_argument("--url", help="database URL")
    parser.add_argument("--metadata", help="the models: package.module:attribute")
    parser.add_argument("--pyproject", default="pyproject.toml", help="where settings are read")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("init", help="create a migration directory")
    p.add_argument("dir")
    p = sub.add_parser("revision", help="write a new revision file")
    p.add_argument("-m", "--message", required=True)
    p.add_argument("--autogenerate", action="store_true", help="compare models and database")
    p.add_argument("--head", help="base the revision on this one (starts a branch)")
    p.add_argument("--merge", action="store_true", help="merge all heads")
    p = sub.add_parser("upgrade", help="apply revisions up to REV")
    p.add_argument("revision", nargs="?", default="head")
    p = sub.add_parser("downgrade", help="undo revisions down to REV")
    p.add_argument("revision")
    sub.add_parser("current", help="the database's revision")
    sub.add_parser("history", help="all revisions, newest first")
    sub.add_parser("heads", help="revisions nothing builds on")
    p = sub.add_parser("stamp", help="record REV without running migrations")
    p.add_argument("revision")
    sub.add_parser("check", help="exit 1 when models and database differ")
    p = sub.add_parser("sql", help="print the SQL of an upgrade instead of running it")
    p.add_argument("revision", nargs="?", default="head")
    p.add_argument("--start", help="the revision the script starts from (default: base)")
    sub.add_parser("verify", help="upgrade and downgrade a throwaway database and compare")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    out = sys.stdout
    try:
        if args.command == "init":
            path = commands.init(args.dir)
            print(f"created {path}; point [tool.uow_orm.migrate] directory at it", file=out)
            return 0
        config = commands.Config.load(
            args.directory, url=args.url, metadata=args.metadata, pyproject=args.pyproject
        )
        if args.command == "revision":
            path = commands.revision(
                config,
                args.message,
                autogenerate=args.autogenerate,
                head=args.head,
                merge=args.merge,
            )
            print(f"wrote {path}", file=out)
        elif args.command == "upgrade":
            print("at " + (", ".join(commands.upgrade(config, args.revision)) or "base"), file=out)
        elif args.command == "downgrade":
            print(
                "at " + (", ".join(commands.downgrade(config, args.revision)) or "base"), file=out
            )
        elif args.command == "current":
            print(", ".join(commands.current(config)) or "base", file=out)
        elif args.command == "history":
            for rev in commands.history(config):
                down = ", ".join(rev.down_revisions) or "base"
                print(f"{down} -> {rev.revision}: {rev.message}", file=out)
        elif args.command == "heads":
            print("\n".join(commands.heads(config)), file=out)
        elif args.command == "stamp":
            print("at " + (", ".join(commands.stamp(config, args.revision)) or "base"), file=out)
        elif args.command == "check":
            found = commands.check(config)
            for line in found.descriptions:
                print(line, file=out)
            if found:
                return 1
            print("models and database match", file=out)
        elif args.command == "sql":
            out.write(commands.sql(config, args.revision, start=args.start))
        elif args.command == "verify":
            problems = commands.verify(config)
            for line in problems:
                print(line, file=out)
            if problems:
                return 1
            print(
                "verified: upgrade reproduces the models; downgrade empties the database", file=out
            )
    except exc.OrmError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
