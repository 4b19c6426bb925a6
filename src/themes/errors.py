"""Errors a user can fix. The CLI prints their message as one line and exits non-zero."""


class ThemesError(Exception):
    """A problem with the user's input, codebook or settings, with a message that says how to fix it."""

    exit_code = 2


class InputError(ThemesError):
    """The survey export cannot be read as asked."""


class CodebookError(ThemesError):
    """The codebook YAML is invalid."""


class OutputError(ThemesError):
    """The output folder cannot be written as asked."""


class GoldError(ThemesError):
    """A human-coded (gold) file does not fit the codebook or the answers."""
