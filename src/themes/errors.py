"""Errors a user can fix. The CLI prints their message as one line and exits non-zero."""


def shortened(text: object, limit: int) -> str:
    """`text` on one line for a message, its whitespace collapsed, cut to `limit` characters with "..." where cut."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3].rstrip() + "..."


class ThemesError(Exception):
    """A problem with the user's input, codebook or settings, with a message that says how to fix it."""

    exit_code = 2


class InputError(ThemesError):
    """The survey export cannot be read as asked."""


class CutShort(InputError):
    """The export ends in the middle of a row: half-written, or still being copied. An inbox leaves such a file
    waiting a while (its copy may be under way) before it refuses it."""


class CodebookError(ThemesError):
    """The codebook YAML is invalid. `problems`: every problem found, one line each (the message leads with the
    first); `themes validate-codebook` prints them all."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or [message]


class OutputError(ThemesError):
    """The output folder cannot be written as asked."""


class GoldError(ThemesError):
    """A human-coded (gold) file does not fit the codebook or the answers."""
