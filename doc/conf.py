"""Sphinx configuration for sparsekit's documentation."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))
os.environ.setdefault("MPLBACKEND", "Agg")

import sparsekit  # noqa: E402

project = "sparsekit"
author = "The sparsekit developers"
copyright = "2026, The sparsekit developers"
release = sparsekit.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()
templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py", "**/*.md5", "**/*.codeobj.json"]
html_theme = "pydata_sphinx_theme" if __import__("importlib").util.find_spec("pydata_sphinx_theme") else "alabaster"
html_static_path = []
html_title = f"sparsekit {release}"

intersphinx_mapping = {}
nitpicky = False

sphinx_gallery_conf = {
    "examples_dirs": ["../examples"],
    "gallery_dirs": ["auto_examples"],
    "doc_module": ("sparsekit",),
    "backreferences_dir": os.path.join("generated", "backreferences"),
    "reference_url": {"sparsekit": None},
    "filename_pattern": r"/plot_",
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "min_reported_time": 1,
}


def _skip_metadata_request_stubs(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated ``set_*_request`` methods (their docs cite sklearn's glossary)."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_request_stubs)
