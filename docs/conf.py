"""Sphinx configuration of oneuron's documentation (``make docs``)."""

import os
import re
import sys
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # the checkout's oneuron, installed or not
sys.path.insert(0, str(Path(__file__).parent))  # _scraper.py, the image scraper of the examples
os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)

import oneuron  # noqa: E402

project = "oneuron"
author = "the oneuron developers"
copyright = "the oneuron developers"  # noqa: A001
release = version = oneuron.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "**/*.ipynb", "**/*.py.md5", "**/*.codeobj.json", "sg_execution_times.rst"]
templates_path = ["_templates"]
toc_object_entries_show_parents = "hide"  # "fit()", not "LogisticRegression.fit()", in the page's contents
html_static_path = ["_static"]
html_css_files = ["oneuron.css"]

# every cross-reference must resolve; only names of other projects (no network, so no intersphinx) may not
nitpicky = True
nitpick_ignore_regex = [
    ("py:.*", r"(numpy|np|scipy|sklearn|matplotlib|pandas|pd|dask|distributed|pyarrow|onnx|onnxruntime)(\..*)?"),
    ("py:.*", r"(oneuron\.)?(.*\.)?_[a-z].*"),  # private modules are not documented: their names stay plain text
    ("py:.*", r"(ndarray|array-like|array_like|callable|optional|default|path-like|file-like|Path|PathLike)"),
]

# -- autodoc, autosummary, numpydoc --------------------------------------------------------------------
autosummary_generate = True
autodoc_typehints = "none"  # types are in the numpydoc sections
numpydoc_show_class_members = False  # the class template lists the methods
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False


def skip_member(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated metadata-routing setters (``set_fit_request``, ...)."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


# -- ARCHITECTURE.md and CHANGELOG.md, from the repository root ----------------------------------------
ROOT_PAGES = {"architecture": "ARCHITECTURE.md", "changelog": "CHANGELOG.md"}
FILE_LINK = re.compile(r"\[([^\]]+)\]\((?![a-z]+:|#)([^)\s]+)\)")  # [text](relative/path), not URLs or anchors


def root_markdown(app, docname, source):
    """The page is the root's markdown file; its links to repository files become the files' names."""
    name = ROOT_PAGES.get(docname)
    if name is None:
        return
    app.env.note_dependency(str(ROOT / name))

    def plain(match):
        text, target = match.groups()
        return text if text.strip("`") == target else f"{text} (`{target}`)"

    source[0] = FILE_LINK.sub(plain, (ROOT / name).read_text(encoding="utf-8"))


def setup(app):
    app.connect("autodoc-skip-member", skip_member)
    app.connect("source-read", root_markdown)


# -- myst ----------------------------------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

# -- sphinx-gallery: every example runs during the build; one that raises fails it -----------------------
sphinx_gallery_conf = {
    "examples_dirs": [str(ROOT / "examples" / "lesson"), str(ROOT / "examples" / "guides")],
    "gallery_dirs": ["lesson", "guides"],
    "filename_pattern": r".*\.py$",  # run every example, not only plot_*
    "ignore_pattern": r"(__init__|_helpers)\.py$",
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("matplotlib", "_scraper"),  # _scraper.py: figures and animations of oneuron.plots
    "matplotlib_animations": False,  # oneuron_figures writes animations as GIFs
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "remove_config_comments": True,
    "download_all_examples": False,
    "show_signature": False,
    "reference_url": {"oneuron": None},
    "doc_module": ("oneuron",),
    "backreferences_dir": "api/generated/backreferences",
    "capture_repr": ("_repr_html_",),  # a Summary as a table; no reprs of plotting return values
    "min_reported_time": float("inf"),  # pages show no run times (those of the benchmarks are in RESULTS.md)
    "write_computation_times": False,
}
warnings.filterwarnings("ignore", category=UserWarning, message="Matplotlib is currently using agg")

# -- HTML ----------------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = "oneuron"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
}
html_sidebars = {"index": [], "getting_started": []}
html_show_sourcelink = False
