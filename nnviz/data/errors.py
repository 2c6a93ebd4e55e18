"""The one error type of nnviz.data."""

from nnviz.errors import InputError


class DataError(InputError):
    """A data set could not be made or read.

    The message is one line naming the file, key or param and what is wrong with it. When
    the fault is in one param of a data kind, `key` names that param and `detail` says what
    is wrong with it (the message without its "kind: param 'key'" prefix): a scenario file
    reports it on its own key, data.<key>.
    """

    def __init__(self, message: str, *, key: str | None = None, detail: str | None = None):
        super().__init__(message)
        self.key = key
        self.detail = detail if detail is not None else message


def param_error(kind: str, name: str, detail: str) -> DataError:
    """A fault in param `name` of data kind `kind`: "kind: param 'name' detail"."""
    return DataError(f"{kind}: param {name!r} {detail}", key=name, detail=detail)


class DataFolderError(DataError):
    """A data folder the user named (--data-dir, $NNVIZ_DATA) cannot be used: the message
    names the folder and what was looked for in it. About no key of a scenario file."""
