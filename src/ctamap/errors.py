"""Errors a user can cause, and the exit codes every command shares.

The CLI catches `CtamapError` once and prints it as one line; anything else is a bug.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


class CtamapError(Exception):
    """A problem the user can fix: printed as one line, exit code 2."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line is not None else f"{self.path}: "
        return f"{where}{self.message}"


class ConfigError(CtamapError):
    """The configuration is invalid (unknown key, bad value)."""


class InputError(CtamapError):
    """A file could not be read or parsed (encoding, binary, broken template tags)."""


class ConfigErrors(ConfigError):
    """Several problems in one config file, reported together (one line each)."""

    def __init__(self, errors: list[ConfigError]) -> None:
        first = errors[0]
        super().__init__(first.message, path=first.path, line=first.line)
        self.errors = tuple(errors)

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)
