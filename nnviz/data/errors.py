"""The one error type of nnviz.data."""


class DataError(ValueError):
    """A data set could not be made or read.

    The message is one line naming the file, key or param and what is wrong with it.
    """
