"""The one base class for mistakes a user can fix; command lines catch only this (exit 2, one line)."""


class UserError(Exception):
    """Bad input or a missing prerequisite; str(err) is the one-line message shown to the user."""
