"""Extensions with the names of SQLAlchemy's ``sqlalchemy.ext`` modules: ``hybrid``,
``associationproxy``, ``mutable``, ``automap``.

Imported by applications (``from uow_orm.ext.hybrid import hybrid_property``).
"""
