"""Durable state of Ledarpuls: SQLModel tables, the database handle and migrations."""
