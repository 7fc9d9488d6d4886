"""Errors a person can act on. The CLI prints their message on one line and exits non-zero."""


class PigtraceError(Exception):
    """Base class: the message says what went wrong and where (file, line, field, URL)."""


class InvalidAddress(PigtraceError, ValueError):
    """An address that is not valid in any accepted form for its chain."""


class IngestError(PigtraceError):
    """A source could not be ingested; the warehouse was left as it was."""
