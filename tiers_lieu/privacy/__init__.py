"""Residents' personal data: how long it is kept (retention), and the purge that applies it."""
