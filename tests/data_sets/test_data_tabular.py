"""The csv kind (a user's file of labelled 2-D points) and the table kind (inline rows)."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.data import DataError, load


def _write(folder, text, name="points.csv"):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_with_header_binary(tmp_path):
    _write(tmp_path, "x1,x2,label\n0.1,0.2,0\n0.5,-1,1\n3,4,1\n")
    ds = load("csv", {"path": "points.csv"}, base_dir=tmp_path)
    np.testing.assert_array_equal(ds.x_train, np.float32([[0.1, 0.2], [0.5, -1], [3, 4]]))
    np.testing.assert_array_equal(ds.y_train, [[0], [1], [1]])
    assert ds.task == "binary" and ds.class_names == ("0", "1")
    assert ds.x_test is None
    assert ds.name == "points"
    assert ds.source == str(tmp_path / "points.csv")


def test_csv_without_header_with_comments_and_blank_lines(tmp_path):
    _write(tmp_path, "# my points\n\n1,2,0\n 3 , 4 , 1 \n\n")
    ds = load("csv", {"path": "points.csv"}, base_dir=tmp_path)
    np.testing.assert_array_equal(ds.x_train, [[1, 2], [3, 4]])


def test_csv_multiclass_is_one_hot(tmp_path):
    _write(tmp_path, "x1,x2,label\n0,0,0\n1,0,2\n0,1,1\n1,1,2\n")
    ds = load("csv", {"path": "points.csv"}, base_dir=tmp_path)
    assert ds.task == "multiclass"
    np.testing.assert_array_equal(ds.y_train, np.eye(3)[[0, 2, 1, 2]])
    np.testing.assert_array_equal(ds.labels_train, [0, 2, 1, 2])
    assert ds.class_names == ("0", "1", "2")


def test_csv_absolute_path_and_bom(tmp_path):
    path = tmp_path / "sub" / "p.csv"
    path.parent.mkdir()
    path.write_bytes("\ufeffx1,x2,label\n1,2,1\n".encode())
    ds = load("csv", {"path": str(path)}, base_dir=tmp_path / "elsewhere")
    assert ds.n_train == 1


def test_csv_test_fraction_split_is_seeded(tmp_path):
    rows = "\n".join(f"{i},{-i},{i % 2}" for i in range(50))
    _write(tmp_path, rows)
    a = load("csv", {"path": "points.csv", "test_fraction": 0.2, "seed": 1}, base_dir=tmp_path)
    b = load("csv", {"path": "points.csv", "test_fraction": 0.2, "seed": 1}, base_dir=tmp_path)
    c = load("csv", {"path": "points.csv", "test_fraction": 0.2, "seed": 2}, base_dir=tmp_path)
    assert a.n_train == 40 and a.n_test == 10
    assert a.x_test.tobytes() == b.x_test.tobytes()
    assert a.x_test.tobytes() != c.x_test.tobytes()
    together = np.concatenate([a.x_train, a.x_test])
    assert sorted(together[:, 0].tolist()) == list(range(50))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x1,x2,label\n1,2,0\n3,4\n", "points.csv:3: expected 3 numbers, got 2"),
        ("1,2,0,5\n", "points.csv:1: expected 3 numbers, got 4"),
        ("x1,x2,label\n1,abc,0\n", "points.csv:2: 'abc' is not a number"),
        ("1,2,0\n1,2,0.5\n", "points.csv:2: label must be a whole number >= 0, got '0.5'"),
        ("1,2,-1\n", "points.csv:1: label must be a whole number >= 0"),
        ("1,nan,1\n", "points.csv:1: column 2: 'nan' is not a finite number"),
        ("x1,x2\n1,2,0\n", "points.csv:1: header should name 3 columns"),
        ("x1,x2,label\n", "points.csv: no data rows"),
        ("", "points.csv: no data rows"),
    ],
)
def test_csv_bad_rows(tmp_path, text, message):
    _write(tmp_path, text)
    with pytest.raises(DataError) as err:
        load("csv", {"path": "points.csv"}, base_dir=tmp_path)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_csv_missing_file(tmp_path):
    with pytest.raises(DataError) as err:
        load("csv", {"path": "points.csv"}, base_dir=tmp_path)
    assert str(err.value) == "points.csv: no such file"


def test_csv_folder_and_binary_file(tmp_path):
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(DataError, match="dir.csv: is a folder"):
        load("csv", {"path": "dir.csv"}, base_dir=tmp_path)
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(DataError, match="bin.csv: not a text file"):
        load("csv", {"path": "bin.csv"}, base_dir=tmp_path)


def test_csv_too_small_to_split(tmp_path):
    _write(tmp_path, "1,2,0\n")
    with pytest.raises(DataError, match="too few"):
        load("csv", {"path": "points.csv", "test_fraction": 0.5}, base_dir=tmp_path)


def test_table_binary_by_default():
    ds = load("table", {"x": [[0, 0], [0, 1], [1, 0], [1, 1]], "y": [0, 1, 1, 0]})
    assert ds.task == "binary"
    assert ds.y_train.shape == (4, 1)
    assert ds.n_inputs == 2
    assert ds.x_test is None


def test_table_regression_when_not_zero_one():
    ds = load("table", {"x": [0.0, 0.5, 1.0], "y": [[0.1], [0.7], [2.5]]})
    assert ds.task == "regression"
    assert ds.x_train.shape == (3, 1)
    two_columns = load("table", {"x": [[1], [2]], "y": [[0, 1], [1, 0]]})
    assert two_columns.task == "regression" and two_columns.n_outputs == 2


def test_table_multiclass_from_labels_and_from_one_hot():
    a = load("table", {"x": [[0], [1], [2]], "y": [2, 0, 1], "task": "multiclass"})
    np.testing.assert_array_equal(a.y_train, np.eye(3)[[2, 0, 1]])
    b = load("table", {"x": [[0], [1]], "y": [[0, 0, 1], [1, 0, 0]], "task": "multiclass"})
    assert b.n_outputs == 3
    np.testing.assert_array_equal(b.labels_train, [2, 0])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"x": [[0, 0], [1]], "y": [0, 1]}, "table: param 'x' row 1 has 1 values, row 0 has 2"),
        ({"x": [[0], [1]], "y": [0]}, "table: param 'x' has 2 rows but 'y' has 1"),
        ({"x": [], "y": []}, "table: param 'x' must have at least one row"),
        ({"x": [["a"]], "y": [0]}, "table: param 'x' row 0: 'a' is not a number"),
        ({"x": [[True]], "y": [0]}, "table: param 'x' row 0: True is not a number"),
        ({"x": [[1]], "y": [0.5], "task": "binary"}, "table: task 'binary'"),
        ({"x": [[1]], "y": [1.5], "task": "multiclass"}, "table: task 'multiclass'"),
        ({"x": [[1]], "y": [[1, 1]], "task": "multiclass"}, "table: task 'multiclass'"),
    ],
)
def test_table_errors(params, message):
    with pytest.raises(DataError) as err:
        load("table", params)
    assert str(err.value).startswith(message)
