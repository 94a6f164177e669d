r"""Rewrite ``known_failures.py`` from a run of the contract suite without it, grouped by class.

Usage, from the repository root::

    python -c "import pathlib; p = pathlib.Path('tests/contract/known_failures.py'); \
p.write_text(p.read_text().split('_BY_CLASS = {')[0] + '_BY_CLASS = {}\\nKNOWN_FAILURES = {}\\n')"
    COLUMNS=1000 python -m pytest tests/contract -n 2 -q -rf --tb=no \
        | sed -n 's/^FAILED tests\/contract\/[a-z_]*\.py:://p' > failures.txt
    python tests/contract/regenerate_known_failures.py failures.txt tests/contract/known_failures.py
"""
import collections
import re
import sys

ESTIMATORS = ("SparseBayesianRegression", "KroneckerSBL", "LDPSparseRegression", "SketchedRidgeEnsemble",
              "CoLiDE", "DAGMALinear", "TopoSwap")
OT = ("emd", "sinkhorn", "sinkhorn_newton_sparse", "sparse_ot", "quadratic_ot", "solve", "wasserstein")

CLASSES = [
    ("warning-line", "ConvergenceWarning not at the caller's line: a hand-counted stacklevel stops inside sparsekit "
                     "(the registry's dispatch, an estimator's fit); end_run/warn_at_caller fixes it"),
    ("no-warning", "no ConvergenceWarning when forced not to converge: emd passes on POT's UserWarning; sparse_ot (and solve(method='sparse')) ignores max_iter=1 and converges"),
    ("result-fields", "Result without the solver fields converged/status/message/n_iter"),
    ("ot-empty", "empty a/b taken as uniform weights instead of a ValueError"),
    ("complex", "complex input cast to real (check_array drops the imaginary part with only a ComplexWarning) instead of a TypeError"),
    ("nonfinite-accepted", "NaN/inf input accepted and an answer returned"),
    ("object-str", "object/str arrays accepted (coerced) instead of a TypeError naming the argument"),
    ("shape-accepted", "wrong ndim/shape accepted and an answer returned"),
    ("sklearn-message", "scikit-learn's validate_data message does not name X/y (wrap it, or pass input_name)"),
    ("door-message", "front door's error names the method's parameter (gamma), not the argument the user passed (reg)"),
    ("scaled-message", "values scaled by 1e300/1e-300 rejected by an internal message (NumPy's 'Probabilities contain "
                       "NaN', LAPACK's 'must not contain infs') that does not name the argument"),
    ("internal-message", "an internal NumPy/SciPy/LAPACK error instead of a ValueError naming the argument (posterior and "
                         "gamp_damping validate nothing)"),
    ("crash", "crash with another exception type (ZeroDivisionError, IndexError) instead of a ValueError"),
    ("nonfinite-converged", "non-finite result reported converged (1e300 overflows); end_run gives status 3 once the solver ends through it"),
    ("nonfinite", "non-finite result returned silently (1e300 overflows, or 1e-300 underflows to 0/0)"),
    ("scaling", "b scaled by 1e-300: the residual norm underflows and the run reports converged with a wrong answer "
               "(sor: n_iter=0, x=0)"),
    ("module-length", "module over 700 lines: to split where its concerns part"),
    ("circle", "import circle _sketch <-> _sketch_dask <-> _sketch_lstsq: being fixed on the sketching branch"),
]


CASES = sorted(["nan", "posinf", "neginf", "empty", "zero_d", "wrong_ndim", "mismatched", "complex", "object", "str",
                "scaled_1e300", "scaled_1e-300", "negative", "scalar_nan", "scalar_inf"]
               + [f"{f}_{k}" for f in ("csr", "csc", "coo", "bsr", "lil", "dok", "dia") for k in ("array", "matrix")],
               key=len, reverse=True)


def classify(test, message):
    key = test.split("[", 1)[1][:-1] if "[" in test else ""
    if test.startswith("test_non_convergence"):
        return "warning-line" if "warning at" in message else "no-warning"
    if test.startswith("test_result_contract"):
        return "result-fields"
    if test.startswith("test_module_length"):
        return "module-length"
    if test.startswith("test_no_import_circle"):
        return "circle"
    if not test.startswith("test_bad_input"):
        raise SystemExit(f"unclassified: {test} {message}")
    name = key.split("-")[0].split("[")[0]
    case = next(c for c in CASES if key.endswith("-" + c))
    tag = re.search(r"\[([a-z -]+)\]", message)
    tag = tag.group(1) if tag else None
    if tag is None:
        return "crash"
    if tag == "accepted":
        if case == "empty" and name in OT:
            return "ot-empty"
        if case == "complex":
            return "complex"
        if case in ("nan", "posinf", "neginf", "scalar_nan"):
            return "nonfinite-accepted"
        if case in ("object", "str"):
            return "object-str"
        return "shape-accepted"
    if tag == "message":
        if case.startswith("scaled"):
            return "scaled-message"
        if name in ESTIMATORS and ("Found" in message or "Expected 2D" in message or "Complex data" in message
                                   or "Input should" in message):
            return "sklearn-message"
        if "'gamma' parameter" in message:
            return "door-message"
        return "internal-message"
    return {"non-finite converged": "nonfinite-converged", "non-finite": "nonfinite", "scaling": "scaling"}[tag]



def main():
    groups = collections.defaultdict(list)
    for line in open(sys.argv[1]):
        test, _, message = line.rstrip("\n").partition(" - ")
        groups[classify(test.strip(), message)].append(test.strip())

    out = ['"""Every current failure of the contract suite, by class: the input of the next issue.',
           "",
           "Each key is a test-id pattern (``*`` matches anything) marked ``xfail(strict=True)`` by ``conftest.py``: a fix",
           "makes its test pass, the strict xfail then fails, and the entry must be removed.",
           '"""',
           "",
           "_BY_CLASS = {"]
    total = 0
    for tag, reason in CLASSES:
        ids = sorted(groups.pop(tag, []))
        if not ids:
            continue
        total += len(ids)
        out.append(f"    # {tag}: {len(ids)}")
        out.append(f"    {reason!r}: [")
        out += [f"        {i!r}," for i in ids]
        out.append("    ],")
    assert not groups, groups
    out.append("}")
    out.append("")
    out.append("KNOWN_FAILURES = {pattern: reason for reason, patterns in _BY_CLASS.items() for pattern in patterns}")
    open(sys.argv[2], "w").write("\n".join(out) + "\n")
    print(total)


if __name__ == "__main__":
    main()
