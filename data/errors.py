"""Domain errors whose messages tell the user what to do."""


class ZonecreditError(Exception):
    """Base of errors the CLI and API turn into a clear message instead of a traceback."""


class RejectedFile(ZonecreditError):
    """A whole file cannot be ingested (encoding, missing columns, empty): nothing is loaded.

    ``suggestions`` maps headers that matched nothing to the nearest contract column, so the
    caller can offer them (``--column HEADER=column``) instead of only refusing.
    """

    def __init__(self, message: str, suggestions: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.suggestions = suggestions or {}


class InvalidArguments(ZonecreditError):
    """Arguments that cannot work (too short a history, a rate out of range): nothing was done."""
