"""uow_orm's benchmark suite: run it with ``python -m benchmarks`` (see benchmarks/README.md).

Not part of the installed package; SQLAlchemy and psycopg come from the ``bench`` extra.
"""
