"""The export's error (apart from the package, so that its modules import it without a cycle)."""

from nnviz.errors import InputError


class ExportError(InputError):
    """A scenario (or a setting of it) that cannot be exported; the message says what and why."""
