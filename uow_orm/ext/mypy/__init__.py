"""The mypy plugin package, named like SQLAlchemy's ``sqlalchemy.ext.mypy``.

Loaded by mypy only (``plugins = ["uow_orm.ext.mypy.plugin"]``); uow_orm never imports it.

Called by: no module of the package (an entry point for users).
"""
