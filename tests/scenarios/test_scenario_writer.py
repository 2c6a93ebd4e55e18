"""Writing a scenario back: TOML with its weights (inline for small networks, an .npz beside
it otherwise), atomic, never over a file unless asked; loading it back gives the same scenario
and bit-identical weights."""

from __future__ import annotations

import dataclasses

import pytest

from nnviz.scenario import ScenarioError, load_scenario, scenario_names
from nnviz.scenario import writer as scenario_writer
from nnviz.scenario.writer import write_scenario
from nnviz.session import build

SMALL = [n for n in scenario_names() if not n.startswith("mnist") and n != "chain"]


def _trained_params(sc):
    session = build(sc)
    session.trainer.step()  # weights that are not the init's: a step of training
    return session.model.params()


def _same_except_weights(back, sc, path):
    flat = dataclasses.replace(back.model, weights=(), weights_file=None)
    assert flat == dataclasses.replace(sc.model, weights=())
    assert dataclasses.replace(back, model=flat, path=sc.path) == dataclasses.replace(
        sc, model=flat
    )
    assert back.path == path.resolve()


@pytest.mark.parametrize("name", SMALL)
def test_every_small_shipped_scenario_round_trips(tmp_path, name):
    sc = load_scenario(name)
    params = _trained_params(sc)
    path = write_scenario(sc, tmp_path / f"{name}.toml", params)
    inline = sum(v.size for v in params.values()) <= scenario_writer.INLINE_MAX_NUMBERS
    assert (tmp_path / f"{name}.npz").exists() is not inline
    assert ("[model.weights]" in path.read_text()) is inline
    back = load_scenario(path)
    _same_except_weights(back, sc, path)
    if inline:
        assert sorted(dict(back.model.weights)) == sorted(params)
    rebuilt = build(back).model.params()
    for key, value in params.items():
        assert rebuilt[key].tobytes() == value.tobytes(), key  # bit for bit
    if inline:  # written again from its own record: the same text
        assert write_scenario(back, tmp_path / "again.toml").read_text() == path.read_text()


def test_a_big_network_gets_an_npz_beside_it(tmp_path, monkeypatch):
    monkeypatch.setattr(scenario_writer, "INLINE_MAX_NUMBERS", 10)
    sc = load_scenario("moons")
    params = _trained_params(sc)
    path = write_scenario(sc, tmp_path / "big.toml", params)
    text = path.read_text()
    assert 'weights = "big.npz"' in text and "[model.weights]" not in text
    back = load_scenario(path)
    _same_except_weights(back, sc, path)
    rebuilt = build(back).model.params()
    for key, value in params.items():
        assert rebuilt[key].tobytes() == value.tobytes(), key


def test_edits_features_frozen_layers_and_penalties_round_trip(tmp_path):
    sc = load_scenario("circles")
    layers = (dataclasses.replace(sc.model.layers[0], trainable=False, dropout=0.25),
              *sc.model.layers[1:])  # fmt: skip
    data = dataclasses.replace(sc.data, features=("x1", "x2", "x1^2", "x1*x2", "sin(x2)"))
    model = dataclasses.replace(sc.model, layers=layers, l1=0.001, l2=1e-4, inputs=5)
    edited = dataclasses.replace(sc, data=data, model=model, description='edited "quotes"')
    params = build(edited).model.params()
    assert params["W1"].shape[0] == 5
    path = write_scenario(edited, tmp_path / "edited.toml", params)
    back = load_scenario(path)
    _same_except_weights(back, edited, path)
    rebuilt = build(back).model.params()
    assert all(rebuilt[k].tobytes() == v.tobytes() for k, v in params.items())


def test_never_over_a_file_unless_asked_and_one_line_errors(tmp_path):
    sc = load_scenario("xor")
    path = tmp_path / "x.toml"
    path.write_text("mine")
    with pytest.raises(ScenarioError, match=r"x.toml: already exists \(nothing written"):
        write_scenario(sc, path)
    assert path.read_text() == "mine"
    write_scenario(sc, path, overwrite=True)
    assert load_scenario(path).model == sc.model
    with pytest.raises(ScenarioError, match="ends in .toml"):
        write_scenario(sc, tmp_path / "x.txt")
    with pytest.raises(ScenarioError, match="folder .* does not exist"):
        write_scenario(sc, tmp_path / "nowhere" / "x.toml")
    with pytest.raises(ScenarioError, match="expression graph"):
        write_scenario(load_scenario("chain"), tmp_path / "c.toml")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.toml"]  # no temporary files left


def test_a_bad_npz_name_is_a_one_line_error(tmp_path):
    text = tmp_path / "s.toml"
    write_scenario(load_scenario("xor"), text)
    body = text.read_text().replace("[model]\n", '[model]\nweights = "gone.npz"\n')
    text.write_text(body)
    with pytest.raises(ScenarioError, match=r"s.toml: model.weights: no such file 'gone.npz'"):
        load_scenario(text)
