"""The project's version: one place, read by the package, the command and the Node cache folder."""

__version__ = "0.3.0"
