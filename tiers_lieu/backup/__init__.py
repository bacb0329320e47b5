"""Backups of the database: a consistent copy taken while the app serves, and its restoration."""
