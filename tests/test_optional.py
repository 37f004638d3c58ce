"""Optional dependencies: a missing one names the feature and the extra to install."""

import pytest

from oneuron._optional import MissingDependencyError, require


def test_require_imports_an_installed_module():
    assert require("numpy.linalg", "linear algebra", "core").__name__ == "numpy.linalg"


def test_a_missing_module_names_the_feature_and_the_extra():
    with pytest.raises(ImportError, match=r"exporting nothing needs no_such_pkg: pip install 'oneuron\[nope\]'"):
        require("no_such_pkg.sub", "exporting nothing", "nope")


def test_a_missing_core_dependency_names_the_package():
    with pytest.raises(MissingDependencyError, match=r"^reading nothing needs no_such_pkg: pip install no_such_pkg$"):
        require("no_such_pkg", "reading nothing", None)
