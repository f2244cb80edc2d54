"""Database adapter: SQLAlchemy models, repositories, unit of work, migrations."""
