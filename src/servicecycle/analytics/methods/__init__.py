"""Pure statistical methods behind servicecycle's analytics.

Every module here works on plain sequences and NumPy arrays and returns small
frozen dataclasses, so the same code serves the web views, the command line and
the database layer (which aggregates counts and sums in SQL and passes them to
the ``*_from_counts`` / ``*_from_sums`` entry points). Nothing in this package
imports Django.
"""


class MethodInputError(ValueError):
    """Input a method cannot work with; the message says what to change."""


__all__ = ["MethodInputError"]
