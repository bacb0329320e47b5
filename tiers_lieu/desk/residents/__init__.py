"""Residents' files: finding, creating and merging them (`directory`), their pages and booking for them."""
