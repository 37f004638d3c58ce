"""Every public class and function has a numpydoc ``Examples`` section, and its examples run (doctest)."""

import doctest
import importlib
import inspect

import pytest

import oneuron

#: public module -> names it exports (None: its ``__all__``, or every public function defined in it)
PUBLIC_MODULES = {
    "oneuron": [n for n in oneuron.__all__ if n != "__version__"],
    "oneuron.neuron": None,
    "oneuron.data": None,
    "oneuron.plots": None,
}
#: examples that need an optional dependency: skipped without it
NEEDS = {"oneuron.plots": "matplotlib", "oneuron.export_onnx": "onnx"}


def public_objects() -> dict:
    found = {}
    for module_name, names in PUBLIC_MODULES.items():
        module = importlib.import_module(module_name)
        if names is None and hasattr(module, "__all__"):
            names = module.__all__
        if names is None:
            names = [
                n
                for n, o in vars(module).items()
                if not n.startswith("_") and getattr(o, "__module__", None) == module_name
            ]
        for name in names:
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                found[f"{module_name}.{name}"] = obj
    return found


OBJECTS = public_objects()


def test_the_public_api_is_all_found():
    assert {"oneuron.LogisticRegression", "oneuron.data.parquet", "oneuron.neuron.sigmoid"} <= set(OBJECTS)
    assert len(OBJECTS) > 40


@pytest.mark.parametrize("name", sorted(OBJECTS))
def test_public_docstring_has_examples(name):
    doc = inspect.getdoc(OBJECTS[name]) or ""
    assert "\nExamples\n--------\n" in doc, f"{name} has no numpydoc Examples section"
    assert ">>> " in doc.split("\nExamples\n--------\n")[1]


@pytest.mark.parametrize("name", sorted(OBJECTS))
def test_docstring_examples_run(name):
    for prefix, module in NEEDS.items():
        if name == prefix or name.startswith(prefix + "."):
            pytest.importorskip(module)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(OBJECTS[name], name, globs={}) if t.examples]
    assert tests
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {name} failed (output above)"
