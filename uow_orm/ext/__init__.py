"""Extensions named as in ``sqlalchemy.ext``: ``hybrid``, ``associationproxy``, ``mutable``.

Imported by applications (``from uow_orm.ext.hybrid import hybrid_property``).
"""
