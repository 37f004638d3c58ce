"""The documentation's sources name every public class and function (the site itself is built by `make docs`)."""

import inspect
import re
from pathlib import Path

import pytest

import oneuron
import oneuron.data
import oneuron.neuron
import oneuron.plots

DOCS = Path(__file__).resolve().parents[1] / "docs"


def public_functions(module):
    return [
        name
        for name, obj in vars(module).items()
        if inspect.isfunction(obj) and not name.startswith("_") and obj.__module__ == module.__name__
    ]


def api_names() -> set[str]:
    """Every name the API reference documents: autosummary entries and directive targets."""
    text = (DOCS / "api.rst").read_text(encoding="utf-8")
    names = set(re.findall(r"^   ([A-Za-z_][A-Za-z0-9_]*)$", text, flags=re.MULTILINE))  # autosummary entries
    names |= set(re.findall(r"^\.\. (?:py:data|autodata|autofunction|autoclass)::\s+(\S+)", text, flags=re.MULTILINE))
    return names


PUBLIC = (
    [("oneuron", name) for name in oneuron.__all__]
    + [("oneuron.data", name) for name in oneuron.data.__all__]
    + [("oneuron.neuron", name) for name in public_functions(oneuron.neuron)]
    + [("oneuron.plots", name) for name in public_functions(oneuron.plots)]
)


@pytest.mark.parametrize(("module", "name"), PUBLIC)
def test_every_public_name_is_in_the_api_reference(module, name):
    assert name in api_names(), f"{module}.{name} is public but missing from docs/api.rst"


def test_the_api_reference_documents_only_public_names():
    public = {name for _, name in PUBLIC} | {"DEFAULT_DPI"}
    assert api_names() <= public, f"docs/api.rst names non-public objects: {sorted(api_names() - public)}"


def test_the_public_submodules_have_their_section():
    text = (DOCS / "api.rst").read_text(encoding="utf-8")
    for module in ("oneuron.neuron", "oneuron.data", "oneuron.plots"):
        assert f".. automodule:: {module}" in text


def test_every_page_is_reachable_from_the_index():
    index = (DOCS / "index.rst").read_text(encoding="utf-8")
    for page in ("getting_started", "lesson/index", "guides/index", "api", "architecture", "changelog"):
        assert re.search(rf"^   {re.escape(page)}$", index, flags=re.MULTILINE), page
