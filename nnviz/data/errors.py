"""The one error type of nnviz.data."""

from nnviz.errors import InputError


class DataError(InputError):
    """A data set could not be made or read.

    The message is one line naming the file, key or param and what is wrong with it.
    """


class DataFolderError(DataError):
    """A data folder the user named (--data-dir, $NNVIZ_DATA) cannot be used: the message
    names the folder and what was looked for in it. About no key of a scenario file."""
