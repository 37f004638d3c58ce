"""The layers of ARCHITECTURE.md: no module imports a layer above its own, and no two modules import each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "oneuron"

#: module (dotted, below ``oneuron``) -> layer; a package stands for every module in it
LAYERS = {
    "_optional": 0,
    "_validation": 0,
    "_version": 0,
    "neuron": 1,
    "_penalty": 1,
    "_fastmath": 1,
    "_kernels": 1,
    "_cd_kernels": 1,
    "data": 2,
    "_layout": 3,
    "_objective": 3,
    "_quadratic": 3,
    "_solvers": 4,
    "_inference": 5,
    "_separation": 5,
    "_firth": 5,
    "_margins": 5,
    "_estimator": 6,
    "_cv": 6,
    "_online": 6,
    "_external": 6,
    "_progress": 6,
    "_params": 6,
    "_onnx": 6,
    "_formula": 6,
    "_persist": 7,
    "plots": 7,
    "_cli": 7,
    "_paths": 7,
    "_demo": 7,
    "_demo_cluster": 7,
    "__init__": 7,
    "__main__": 7,
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts)


def _layer(module: str) -> int:
    top = module.split(".")[0]
    if top not in LAYERS:
        raise KeyError(f"oneuron.{module} has no layer: add it to ARCHITECTURE.md and to LAYERS in this test")
    return LAYERS[top]


def _imports(path: Path) -> set[str]:
    """Modules of oneuron that ``path`` imports (``oneuron.x.y`` -> ``x.y``), anywhere in the file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    if path.name == "__init__.py":
        package = "" if path.parent == SRC else _module_name(path.parent)
    else:
        package = _module_name(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the module's own package
                base = ".".join(filter(None, package.split(".")[: len(package.split(".")) - node.level + 1]))
                names = [f"oneuron.{base}.{node.module}" if node.module else f"oneuron.{base}"]
            else:
                names = [node.module or ""]
            # ``from oneuron import _x`` imports the module ``_x``
            if names[0] == "oneuron":
                names = [f"oneuron.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name.startswith("oneuron."):
                target = name[len("oneuron.") :]
                if (SRC / target.replace(".", "/")).with_suffix(".py").exists() or (SRC / target).is_dir():
                    found.add(target)
                else:  # an attribute of a package, e.g. ``from oneuron import __version__``
                    found.add("__init__")
            elif name == "oneuron":
                found.add("__init__")
    return found


MODULES = sorted(p for p in SRC.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_module_imports_a_layer_above_its_own(path):
    own = _layer(_module_name(path).replace(".__init__", "") or "__init__")
    for target in _imports(path):
        assert _layer(target) <= own, (
            f"{path.relative_to(SRC)} (layer {own}) imports oneuron.{target} (layer {_layer(target)}): "
            "see the layers in ARCHITECTURE.md"
        )


def test_no_import_cycles():
    graph = {}
    for path in MODULES:
        name = _module_name(path).replace(".__init__", "")
        graph[name] = {t for t in _imports(path) if t != name}

    def resolve(target):  # a package stands for its __init__
        return target if target in graph else target.split(".")[0]

    state: dict[str, int] = {}

    def visit(node, trail):
        state[node] = 1
        for nxt in sorted(resolve(t) for t in graph.get(node, ())):
            if nxt not in graph or nxt == node:
                continue
            if state.get(nxt) == 1:
                cycle = trail[trail.index(nxt) :] + [nxt] if nxt in trail else [node, nxt]
                raise AssertionError(f"import cycle: {' -> '.join(cycle)}")
            if nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])


def test_the_rule_catches_a_forbidden_import(tmp_path, monkeypatch):
    """The checker itself: a solver importing the estimator is reported."""
    fake = tmp_path / "oneuron"
    (fake / "_solvers").mkdir(parents=True)
    (fake / "_estimator.py").write_text("")
    bad = fake / "_solvers" / "bad.py"
    bad.write_text("def f():\n    from oneuron._estimator import LogisticRegression\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["SRC"]), "SRC", fake)
    with pytest.raises(AssertionError, match="imports oneuron._estimator"):
        test_no_module_imports_a_layer_above_its_own(bad)
