"""Persistence: SQLAlchemy tables and a repository that returns domain objects."""
