"""Current failures of the contract suite, by class: none today.

Each key is a test-id pattern (``*`` matches anything) marked ``xfail(strict=True)`` by ``conftest.py``, its value
the class of the defect; a fix makes the test pass, the strict xfail then fails, and the entry must be removed.
An entry is a debt with a name, to be paid by an issue: add one only with the issue that will remove it.
``regenerate_known_failures.py`` rebuilds this file from a run of the suite.
"""

_BY_CLASS = {}

KNOWN_FAILURES = {pattern: reason for reason, patterns in _BY_CLASS.items() for pattern in patterns}
