"""What the export stage refuses; the command line shows the message as one line and exits 2."""

from tfjs_bridge.common.errors import UserError


class ExportError(UserError):
    """Something that cannot be exported; the message is shown to the user as one line."""


class UnsupportedModelError(ExportError):
    """A model the layers format cannot carry; the message names the layer and suggests --format graph."""
