"""Errors that end a run before anything is evaluated (exit code 2, one line, no traceback)."""


class UsageError(Exception):
    """Bad command line, configuration or input; the message is shown to the user as is."""
