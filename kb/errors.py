"""Errors the user can act on. The CLI prints them as one line; no traceback unless --debug."""


class KbError(Exception):
    """A failure with a message meant for the user, and optionally what to do about it."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class NotFound(KbError):
    exit_code = 3


class Ambiguous(KbError):
    exit_code = 4


class BadInput(KbError):
    exit_code = 2


class StoreError(KbError):
    exit_code = 5


class Busy(KbError):
    """Another kb process holds a lock this command needs."""

    exit_code = 6
