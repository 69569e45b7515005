"""One base error for the host tools.

Every error carries what a caller can act on and a message that tells the person who
meets it what went wrong and what to do next.
"""


class IctalogError(Exception):
    """Base class of the errors the host tools raise on purpose.

    Attributes:
        reason: what went wrong, in a sentence.
        hint: the next step for the person who meets it.
        path: the file concerned, if any.
    """

    exit_code = 2

    def __init__(self, reason: str, hint: str = "", path: str | None = None):
        self.reason = reason
        self.hint = hint
        self.path = path
        text = reason if path is None else f"{path}: {reason}"
        if hint:
            text = f"{text}\n  next step: {hint}"
        super().__init__(text)


class FixtureError(IctalogError):
    """A fixture (NAME.npz plus NAME.events.tsv) is missing, malformed or inconsistent."""


class LogImageError(IctalogError):
    """A flash image or log file cannot be decoded as an ictalog log."""
