"""`nnviz export`: where the script goes, and one-line errors for what cannot be exported or
written. (tests/export runs the scripts against nnviz.)"""

from __future__ import annotations

import ast

import numpy as np
import pytest


def test_export_is_listed_in_help(invoke):
    ran = invoke("--help")
    assert "export" in ran.stdout.split("Commands:", 1)[1].split()
    ran = invoke("export", "--help")
    assert ran.code == 0 and "Usage: nnviz export" in ran.stdout


@pytest.mark.parametrize("target", ["pytorch", "keras"])
def test_no_output_prints_a_script_to_stdout(invoke, target):
    ran = invoke("export", "xor", "--to", target, "--epochs", "10")
    assert ran.code == 0, ran.stderr
    tree = ast.parse(ran.stdout)  # valid Python
    assert ast.get_docstring(tree).startswith("xor, exported from nnviz")
    assert "nnviz train xor --epochs 10" in ran.stdout  # the run its numbers match
    assert "EPOCHS = 10" in ran.stdout
    assert ran.stderr == ""


def test_dash_is_stdout_too(invoke):
    assert invoke("export", "xor", "--to", "pytorch", "-o", "-").stdout.startswith('"""xor')


def test_output_file_is_written_and_never_overwritten_without_force(invoke, tmp_path):
    out = tmp_path / "xor_torch.py"
    ran = invoke("export", "xor", "--to", "pytorch", "-o", str(out))
    assert ran.code == 0, ran.stderr
    assert ran.stdout == ""
    assert f"wrote {out}" in ran.stderr
    first = out.read_text()
    assert "class Net(nn.Module)" in first
    assert [p.name for p in tmp_path.iterdir()] == ["xor_torch.py"]  # no temporary left

    again = invoke("export", "xor", "--to", "pytorch", "--epochs", "3", "-o", str(out))
    line = again.assert_one_line_error(2)
    assert str(out) in line and "--force" in line
    assert out.read_text() == first

    forced = invoke("export", "xor", "--to", "pytorch", "--epochs", "3", "-o", str(out), "--force")
    assert forced.code == 0, forced.stderr
    assert "EPOCHS = 3" in out.read_text()


def test_unwritable_output_is_a_one_line_error(invoke, tmp_path):
    line = invoke("export", "xor", "--to", "pytorch", "-o", str(tmp_path / "no" / "x.py"))
    assert "does not exist" in line.assert_one_line_error(2)
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        ran = invoke("export", "xor", "--to", "pytorch", "-o", str(folder / "x.py"))
        if ran.code == 0:  # root writes anywhere
            pytest.skip("running as root: a read-only folder is writable")
        assert "cannot write" in ran.assert_one_line_error(2)
    finally:
        folder.chmod(0o700)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["xor", "--to", "jax"], "'jax' is not one of 'pytorch', 'keras'"),
        (["xor"], "Missing option '--to'"),
        (["--to", "pytorch"], "Missing argument 'SCENARIO'"),
        (["nosuch", "--to", "pytorch"], "unknown scenario 'nosuch'"),
    ],
)
def test_bad_arguments_are_one_line_errors(invoke, args, said):
    assert said in invoke("export", *args).assert_one_line_error(2)


@pytest.mark.parametrize(
    ("scenario", "target", "said"),
    [
        ("chain", "pytorch", "cannot export an expression graph ([graph])"),
        ("perceptron-step", "pytorch", "cannot export optimizer 'perceptron'"),
        ("perceptron-step", "keras", "Keras has no optimizer for it"),
    ],
)
def test_what_cannot_be_exported_is_named(invoke, scenario, target, said):
    line = invoke("export", scenario, "--to", target).assert_one_line_error(2)
    assert said in line and line.startswith(f"nnviz: {scenario}: ")


def _scenario(tmp_path, body: str) -> str:
    path = tmp_path / "s.toml"
    path.write_text(
        'name = "s"\n[data]\nkind = "gate"\ngate = "xor"\n'
        '[model]\nlayers = [{ units = 1, activation = "sigmoid" }]\nloss = "bce"\n' + body
    )
    return str(path)


def test_several_truth_tables_are_refused(invoke, tmp_path):
    steps = tmp_path / "gates.toml"
    steps.write_text(
        'name = "steps"\n[data]\nkind = "gate"\ngate = ["or", "and"]\n'
        '[model]\nlayers = [{ units = 1, activation = "sigmoid" }]\nloss = "bce"\n'
    )
    line = invoke("export", str(steps), "--to", "pytorch").assert_one_line_error(2)
    assert "data.gate = ['or', 'and']" in line and "one data set" in line


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ('[optimizer]\nkind = "adam"\nweight_decay = 0.01\n', "weight_decay = 0.01 to Keras"),
        (
            '[optimizer]\nkind = "momentum"\n[training]\nschedule = "exponential"\n',
            "optimizer 'momentum' with a 'exponential' schedule to Keras",
        ),
    ],
)
def test_keras_refuses_what_it_cannot_take_exactly(invoke, tmp_path, body, said):
    path = _scenario(tmp_path, body)
    line = invoke("export", path, "--to", "keras").assert_one_line_error(2)
    assert said in line and "--to pytorch" in line
    assert invoke("export", path, "--to", "pytorch").code == 0


def test_load_takes_a_saved_weights_file(invoke, tmp_path):
    weights = tmp_path / "w.npz"
    assert invoke("train", "xor", "--epochs", "5", "--save", str(weights), "--quiet").code == 0
    saved = np.load(weights)
    ran = invoke("export", "xor", "--to", "pytorch", "--load", str(weights))
    assert ran.code == 0, ran.stderr
    assert "loaded from" in ran.stdout and str(weights) in ran.stdout
    assert str(np.float32(saved["W1"][0, 0])) in ran.stdout  # the trained weights, not the init


def test_bad_load_files_are_one_line_errors(invoke, tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    missing = invoke("export", "xor", "--to", "pytorch", "--load", str(tmp_path / "none.npz"))
    assert "no such weights file" in missing.assert_one_line_error(2)
    bad = invoke("export", "xor", "--to", "pytorch", "--load", str(junk))
    assert "not a weights file" in bad.assert_one_line_error(2)
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, W1=np.zeros((3, 4)), b1=np.zeros(4), W2=np.zeros((4, 1)), b2=np.zeros(1))
    shape = invoke("export", "xor", "--to", "pytorch", "--load", str(wrong))
    assert "W1 has shape (3, 4)" in shape.assert_one_line_error(2)


def test_the_export_command_writes_no_file_on_failure(invoke, tmp_path):
    out = tmp_path / "chain.py"
    invoke("export", "chain", "--to", "pytorch", "-o", str(out)).assert_one_line_error(2)
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (
            'layers = [{ units = 3, activation = "tanh" }, { dropout = 0.5 },'
            ' { units = 1, activation = "sigmoid" }]\n',
            "cannot export dropout = 0.5 after dense layer 1",
        ),
        (
            'layers = [{ units = 1, activation = "sigmoid" }]\n[training]\nvalidation = 0.25\n',
            "cannot export training.validation = 0.25",
        ),
    ],
)
def test_dropout_and_validation_are_refused_not_dropped(invoke, tmp_path, body, said):
    path = tmp_path / "d.toml"
    path.write_text('name = "d"\n[data]\nkind = "moons"\nn = 40\n[model]\nloss = "bce"\n' + body)
    for target in ("pytorch", "keras"):
        assert said in invoke("export", str(path), "--to", target).assert_one_line_error(2)
