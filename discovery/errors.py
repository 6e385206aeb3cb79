"""Errors the user can act on: each message names the file, the column and the fix."""


class InputError(ValueError):
    """Bad input from the user (file, column, setting).

    The CLI prints ``error: <message>`` and exits with status 2; the dashboard
    shows the message on the page. Never raised for bugs in the tool itself.
    """
