"""Extensions with the names of SQLAlchemy's ``sqlalchemy.ext`` modules."""
