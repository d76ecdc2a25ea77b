"""The error types of dailypapers: one per layer, each carrying a message fit for a person."""


class DailyPapersError(Exception):
    """Base: a problem we can explain in one line (bad input, unreachable server, ...)."""


class InvalidInput(DailyPapersError):
    """Something a user typed or sent is not acceptable."""


class SourceError(DailyPapersError):
    """An upstream source (arXiv API, OAI-PMH) failed or answered with an error."""


class StoreError(DailyPapersError):
    """The database refused or failed an operation."""


class IndexUnavailable(DailyPapersError):
    """A derived index (keyword, vectors) cannot be written where it lives; rebuilding it would not help."""


class NotFound(DailyPapersError):
    """The thing asked for does not exist."""


class NotAllowed(DailyPapersError):
    """The user may not do this (someone else's comment, an administrator's action)."""


class BadSetting(DailyPapersError):
    """A DAILYPAPERS_* setting (environment or .env) has a value dailypapers cannot use."""


class ModelUnavailable(DailyPapersError):
    """An embedding model cannot be loaded: a shipped file is missing or altered, or a package it needs is absent."""
