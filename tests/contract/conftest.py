"""Marks the contract suite's current failures, all listed in ``known_failures.py``, as strict xfails."""

import re

import pytest

from .known_failures import KNOWN_FAILURES


def _pattern(text):
    """A test-id pattern: ``*`` matches anything, every other character itself (ids hold ``[`` and ``]``)."""
    return re.compile(".*".join(re.escape(part) for part in text.split("*")) + r"\Z")


PATTERNS = {text: _pattern(text) for text in KNOWN_FAILURES}
UNMATCHED = set()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Before any deselection, so that every pattern sees the whole suite."""
    matched = set()
    for item in items:
        if "tests/contract/" not in item.nodeid.replace("\\", "/"):
            continue
        for text, pattern in PATTERNS.items():
            if pattern.match(item.name):
                item.add_marker(pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[text]))
                matched.add(text)
                break
    if any("tests/contract/" in item.nodeid for item in items):
        UNMATCHED.update(set(PATTERNS) - matched)
