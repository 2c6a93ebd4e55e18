"""The one error type of nnviz.data."""

from nnviz.errors import InputError


class DataError(InputError):
    """A data set could not be made or read.

    The message is one line naming the file, key or param and what is wrong with it.
    """
