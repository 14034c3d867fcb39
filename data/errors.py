"""Domain errors whose messages tell the user what to do: one hierarchy for every package.

Every error a user or a caller can act on is a ``ZonecreditError``; which kind it is decides the
CLI's exit code (``zonecredit.cli.EXIT_CODES``) and the API's HTTP status
(``serving.errors.HTTP_STATUSES``), each mapped in that one place (README, "Errors").
"""


class ZonecreditError(Exception):
    """Base of errors the CLI and API turn into a clear message instead of a traceback."""


class InvalidInput(ZonecreditError):
    """Input that cannot be used as given (a bad credit code, feature rows, a correction)."""


class InvalidArguments(InvalidInput):
    """Arguments that cannot work (too short a history, a rate out of range): nothing was done."""


class RejectedFile(InvalidInput):
    """A whole file cannot be ingested (encoding, missing columns, empty): nothing is loaded.

    ``suggestions`` maps headers that matched nothing to the nearest contract column, so the
    caller can offer them (``--column HEADER=column``) instead of only refusing.
    """

    def __init__(self, message: str, suggestions: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.suggestions = suggestions or {}


class NotReady(ZonecreditError):
    """A step that needs an earlier one first: data ingested, a champion trained, outcomes matured."""
