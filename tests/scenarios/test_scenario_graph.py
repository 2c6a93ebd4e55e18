"""The [graph] parser: node lines become primitive operations in order."""

import math

import pytest

from nnviz.scenario import GraphNodeSpec, GraphSpec, ScenarioError, load_scenario, parse_scenario

OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "sigmoid": lambda a: 1.0 / (1.0 + math.exp(-a)),
    "tanh": math.tanh,
    "relu": lambda a: max(a, 0.0),
    "identity": lambda a: a,
}


def evaluate(graph: GraphSpec, **inputs: float) -> float:
    values = dict(graph.inputs) | inputs
    for node in graph.nodes:
        if node.op == "const":
            values[node.name] = node.value
        elif node.op == "scale":
            values[node.name] = node.value * values[node.args[0]]
        else:
            values[node.name] = OPS[node.op](*(values[a] for a in node.args))
    return values[graph.output]


def graph(nodes: list[str], inputs: str = "{ x = 1.0, y = 2.0 }", output: str | None = None):
    text = f"[graph]\ninputs = {inputs}\nnodes = {nodes!r}\n"
    if output is not None:
        text += f"output = {output!r}\n"
    return parse_scenario(text, "g.toml").graph


def error(nodes: list[str], output: str | None = None) -> str:
    with pytest.raises(ScenarioError) as info:
        graph(nodes, output=output)
    return str(info.value)


def test_chain_example():
    sc = load_scenario("chain")
    g = sc.graph
    assert g.inputs == (("x", 1.0), ("y", 2.0))
    assert g.output == "f"
    assert g.nodes == (
        GraphNodeSpec("s", "add", ("x", "y"), 0.0),
        GraphNodeSpec("2*x", "scale", ("x",), 2.0),
        GraphNodeSpec("3", "const", (), 3.0),
        GraphNodeSpec("p", "sub", ("2*x", "3"), 0.0),
        GraphNodeSpec("f", "mul", ("s", "p"), 0.0),
    )
    assert evaluate(g) == -3.0
    h = 1e-6
    dfdx = (evaluate(g, x=1 + h) - evaluate(g, x=1 - h)) / (2 * h)
    dfdy = (evaluate(g, y=2 + h) - evaluate(g, y=2 - h)) / (2 * h)
    assert dfdx == pytest.approx(5.0) and dfdy == pytest.approx(-1.0)


def test_primitive_lines():
    g = graph(["a = x * y", "b = 3 * x", "c = x - 3", "d = 4 - y", "e = sigmoid(a)", "f = b + 2"])
    ops = {n.name: (n.op, n.args, n.value) for n in g.nodes}
    assert ops["a"] == ("mul", ("x", "y"), 0.0)
    assert ops["b"] == ("scale", ("x",), 3.0)
    assert ops["c"] == ("sub", ("x", "3"), 0.0)
    assert ops["3"] == ("const", (), 3.0)  # one constant node, used twice
    assert ops["d"] == ("sub", ("4", "y"), 0.0)
    assert ops["e"] == ("sigmoid", ("a",), 0.0)
    assert ops["f"] == ("add", ("b", "2"), 0.0)
    assert g.output == "f"  # the last node when output is not given
    assert [n.name for n in g.nodes].count("3") == 1


def test_names_numbers_and_nesting():
    g = graph(["a = x", "b = 2.5", "c = -x", "d = tanh(x + y) * -0.5", "e = relu((a - b) * c)"])
    ops = {n.name: (n.op, n.args, n.value) for n in g.nodes}
    assert ops["a"] == ("identity", ("x",), 0.0)
    assert ops["b"] == ("const", (), 2.5)
    assert ops["c"] == ("scale", ("x",), -1.0)
    assert ops["x+y"] == ("add", ("x", "y"), 0.0)
    assert ops["tanh(x+y)"] == ("tanh", ("x+y",), 0.0)
    assert ops["d"] == ("scale", ("tanh(x+y)",), -0.5)
    assert ops["(a-b)*c"] == ("mul", ("a-b", "c"), 0.0)
    assert evaluate(g) == pytest.approx(max((1.0 - 2.5) * -1.0, 0.0))
    names = [n.name for n in g.nodes]
    for node in g.nodes:  # every argument is defined before its node
        assert all(a in ("x", "y") or names.index(a) < names.index(node.name) for a in node.args)


def test_graph_errors():
    assert error(["f = q + x"]) == "g.toml: graph.nodes[0]: 'q' is not defined before this node"
    assert error(["f = xx + y"]).endswith("'xx' is not defined before this node; did you mean 'x'?")
    assert error(["s = x + y", "s = x * y"]) == "g.toml: graph.nodes[1]: 's' is already defined"
    assert error(["x = y + 1"]) == "g.toml: graph.nodes[0]: 'x' is already defined"
    assert error(["f = exp(x)"]) == (
        "g.toml: graph.nodes[0]: cannot read 'exp(x)': 'exp' is not one of sigmoid, tanh, "
        "relu, identity"
    )
    assert error(["f = x / y"]) == "g.toml: graph.nodes[0]: cannot read 'x / y': unexpected '/'"
    assert error(["f = x +"]) == "g.toml: graph.nodes[0]: cannot read 'x +': it ends too early"
    assert error(["f = (x + y"]) == (
        "g.toml: graph.nodes[0]: cannot read '(x + y': a '(' is not closed"
    )
    assert error(["f = 2 * 3"]) == (
        "g.toml: graph.nodes[0]: cannot read '2 * 3': an operation on two numbers: "
        "write the result instead"
    )
    assert error(["x + y"]) == "g.toml: graph.nodes[0]: expected 'name = expression', got 'x + y'"
    assert (
        error(["2f = x"]) == "g.toml: graph.nodes[0]: '2f' is not a usable node name "
        "(letters, digits and _)"
    )
    assert error(["f = x"], output="g") == "g.toml: graph.output: 'g' is not an input or a node"
    assert error([]) == "g.toml: graph.nodes: a graph needs at least one node"
    with pytest.raises(ScenarioError) as info:
        parse_scenario("[graph]\ninputs = { x = 'a' }\nnodes = ['f = x']\n", "g.toml")
    assert str(info.value) == "g.toml: graph.inputs.x: expected a number, got the string 'a'"
    with pytest.raises(ScenarioError) as info:
        parse_scenario("[graph]\ninputs = { x = 1 }\nnode = ['f = x']\n", "g.toml")
    assert str(info.value) == "g.toml: graph.node: unknown key; did you mean 'nodes'?"
