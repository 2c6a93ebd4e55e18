"""nnviz race / sweep / cv / health under CliRunner: tables, JSON lines, one-line errors."""

from __future__ import annotations

import pytest


def test_race_table_has_a_row_per_optimizer(invoke):
    ran = invoke("race", "xor", "--epochs", "200", "--target-loss", "0.5")
    assert ran.code == 0, ran.stderr
    for kind in ("sgd", "momentum", "rmsprop", "adam"):
        assert f"{kind} lr=0.5" in ran.stdout
    assert "epoch ≤ 0.5" in ran.stdout and "lowest final training loss" in ran.stdout


def test_race_json_lines(invoke):
    ran = invoke("race", "moons", "--optimizers", "sgd,adam", "--lr", "0.1,0.01", "--epochs", "5",
                 "--json")  # fmt: skip
    assert ran.code == 0, ran.stderr
    lines = ran.json_lines()
    assert [line["event"] for line in lines] == ["run"] * 4 + ["race"]
    assert [(r["optimizer"], r["lr"]) for r in lines[:4]] == [
        ("sgd", 0.1), ("sgd", 0.01), ("adam", 0.1), ("adam", 0.01)
    ]  # fmt: skip
    assert all(len(r["losses"]) == 5 and len(r["test_losses"]) == 5 for r in lines[:4])
    summary = lines[-1]
    assert summary["runs"] == 4
    best = min(lines[:4], key=lambda r: r["test_loss"])
    assert summary["best"] == best["label"]


def test_race_zip(invoke):
    ran = invoke("race", "moons", "--optimizers", "sgd,adam", "--lr", "0.5,0.03", "--zip",
                 "--epochs", "2", "--json")  # fmt: skip
    runs = [r for r in ran.json_lines() if r["event"] == "run"]
    assert [(r["optimizer"], r["lr"]) for r in runs] == [("sgd", 0.5), ("adam", 0.03)]


def test_sweep_table_marks_the_best_and_draws_a_curve(invoke):
    ran = invoke("sweep", "moons", "--lr", "1e-3:0.3", "--points", "4", "--epochs", "10")
    assert ran.code == 0, ran.stderr
    assert ran.stdout.count("◀ best") == 1 and "▲" in ran.stdout
    assert "best lr:" in ran.stdout and "log scale" in ran.stdout


def test_sweep_json(invoke):
    ran = invoke("sweep", "moons", "--units", "2,4", "--epochs", "3", "--validation", "0.2",
                 "--json")  # fmt: skip
    assert ran.code == 0, ran.stderr
    lines = ran.json_lines()
    points = [line for line in lines if line["event"] == "point"]
    assert [p["value"] for p in points] == [2, 4] and all(p["param"] == "units" for p in points)
    assert all(p["val_loss"] is not None for p in points)
    summary = lines[-1]
    assert summary["event"] == "sweep"
    best = min(points, key=lambda p: p["val_loss"])
    assert summary["best_value"] == best["value"]


def test_cv_json_and_table(invoke):
    ran = invoke("cv", "moons", "--folds", "3", "--epochs", "3", "--json")
    assert ran.code == 0, ran.stderr
    lines = ran.json_lines()
    folds = [line for line in lines if line["event"] == "fold"]
    assert [f["index"] for f in folds] == [1, 2, 3]
    summary = lines[-1]
    accs = [f["accuracy"] for f in folds]
    mean = sum(accs) / 3
    assert summary["mean_accuracy"] == pytest.approx(mean)
    assert summary["sd_accuracy"] == pytest.approx((sum((a - mean) ** 2 for a in accs) / 3) ** 0.5)
    table = invoke("cv", "moons", "--folds", "3", "--epochs", "3")
    assert f"accuracy: {mean:.4f} ±" in table.stdout


def test_health_json(invoke):
    ran = invoke("health", "vanishing", "--epochs", "4", "--samples", "2", "--json")
    assert ran.code == 0, ran.stderr
    lines = ran.json_lines()
    samples = [line for line in lines if line["event"] == "sample"]
    assert [s["epoch"] for s in samples] == [0, 2, 4]
    assert len(samples[0]["layers"]) == 7
    assert lines[-1]["event"] == "health" and lines[-1]["depth_ratio_start"] < 1e-3


def test_health_table_for_two_scenarios(invoke):
    ran = invoke("health", "vanishing", "vanishing-relu", "--epochs", "2", "--samples", "1")
    assert ran.code == 0, ran.stderr
    assert "nnviz health vanishing:" in ran.stdout and "nnviz health vanishing-relu:" in ran.stdout
    assert "1 sigmoid" in ran.stdout and "1 relu" in ran.stdout


def test_train_with_validation_json(invoke):
    ran = invoke("train", "moons", "--epochs", "3", "--validation", "0.2", "--json")
    assert ran.code == 0, ran.stderr
    lines = ran.json_lines()
    epochs = [line for line in lines if line.get("event") == "epoch"]
    assert len(epochs) == 3 and all(e["val_loss"] is not None for e in epochs)
    assert lines[-1]["val_loss"] == epochs[-1]["val_loss"]
    table = invoke("train", "moons", "--epochs", "3", "--validation", "0.2")
    assert "val accuracy" in table.stdout and "validation on 0.2" in table.stdout


@pytest.mark.parametrize(
    ("args", "piece"),
    [
        (["race", "xor", "--optimizers", "sgd,adamw"], "'adamw' is not one of"),
        (["race", "xor", "--lr", "0.1,x"], "expected numbers separated by commas, got 'x'"),
        (["race", "xor", "--lr", "0.1", "--zip"], "--zip pairs optimizers"),
        (["race", "chain"], "expression graph"),
        (["race", "xr"], "did you mean 'xor'?"),
        (["sweep", "xor"], "give exactly one of --lr, --batch-size or --units"),
        (["sweep", "xor", "--lr", "0.1", "--units", "3"], "give exactly one of"),
        (["sweep", "xor", "--lr", "0.1,0.2", "--points", "3"], "--points: applies to a range"),
        (["sweep", "xor", "--lr", "1:0.1"], "0 < low < high"),
        (["sweep", "gates", "--units", "2,3"], "starting weights by hand"),
        (["cv", "xor", "--folds", "1"], "Invalid value for '--folds'"),
        (["cv", "xor", "--folds", "5"], "5 folds need at least 5 rows, the data has 4"),
        (["cv", "moons", "--validation", "0.2"], "cross validation holds out its folds"),
        (["health", "perceptron-step"], "the perceptron rule uses no gradient"),
        (["health"], "Missing argument 'SCENARIO...'"),
        (["train", "moons", "--validation", "1"], "Invalid value for '--validation'"),
    ],
)
def test_bad_arguments_give_one_line(invoke, args, piece):
    ran = invoke(*args)
    line = ran.assert_one_line_error(ran.code if ran.code else 2)
    assert ran.code != 0
    assert piece in line, line


DROPOUT_SCENARIO = """
name = "drop"
[data]
kind = "moons"
n = 200
[model]
layers = [{ units = 16, activation = "relu" }, { dropout = 0.3 },
          { units = 1, activation = "sigmoid" }]
loss = "bce"
[optimizer]
kind = "adam"
lr = 0.03
[training]
epochs = 3
batch_size = 32
"""


def test_info_and_train_of_a_dropout_scenario(invoke, tmp_path):
    path = tmp_path / "drop.toml"
    path.write_text(DROPOUT_SCENARIO)
    (out,) = invoke("info", str(path), "--json").json_lines()
    assert [row["layer"] for row in out["layers"]] == [
        "dense_1 (relu)", "dropout_1 (0.3)", "dense_2 (sigmoid)"
    ]  # fmt: skip
    assert out["total_params"] == 2 * 16 + 16 + 16 + 1
    ran = invoke("train", str(path), "--json")
    assert ran.code == 0, ran.stderr
    assert ran.json_lines()[-1]["epochs"] == 3
