"""Extensions with the names of SQLAlchemy's ``sqlalchemy.ext`` modules: ``hybrid``,
``associationproxy``, ``mutable``, ``automap``.

Imported by applications (``from uow_orm.ext.hybrid import hybrid_property``).

Called by: no module of the package (an entry point for users).
"""
