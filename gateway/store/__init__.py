"""Persistence: models and the query/write functions. The only code that touches a Session."""
