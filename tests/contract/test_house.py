"""House rules of ``sparsekit/``: imports point down, no circle, light solver layers, short modules."""

import ast
import functools
import pathlib
import subprocess
import sys

import pytest

import sparsekit

PACKAGE = pathlib.Path(sparsekit.__file__).parent
MAX_LINES = 700

# Layer of each top-level part of sparsekit, bottom to top; an import may only point to the same or a lower layer.
LAYERS = {
    "sparsekit": 0, "_core": 0, "_version": 0, "_config": 0, "utils": 0,
    "linalg": 1, "ot": 1,
    "datasets": 2,
    "learn": 3,
    "_tour": 4, "_cli": 4, "__main__": 4,
}
# Same-layer parts that must not import each other.
SIBLINGS = {("linalg", "ot"), ("ot", "linalg")}


def _modules():
    """``{dotted module name: path}`` for every module of sparsekit/."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _targets(module, node, is_package):
    """The sparsekit modules an import statement names (``from pkg import sub`` names ``pkg.sub`` if a module)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module
        names = [f"{prefix}.{alias.name}" if f"{prefix}.{alias.name}" in MODULES else prefix for alias in node.names]
    out = set()
    for name in names:
        if name.split(".")[0] != "sparsekit":
            continue
        while name not in MODULES and "." in name:
            name = name.rsplit(".", 1)[0]
        if name != module:
            out.add(name)
    return out


@functools.cache
def import_graph():
    """Module-level and in-function imports alike: every import statement of every module."""
    edges = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        targets = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                targets |= _targets(module, node, path.name == "__init__.py")
        edges[module] = targets
    return edges


def _part(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "sparsekit"


def upward_edges(edges):
    bad = []
    for source, targets in edges.items():
        for target in targets:
            a, b = _part(source), _part(target)
            if LAYERS[b] > LAYERS[a] or (a, b) in SIBLINGS:
                bad.append(f"{source} -> {target}")
    return sorted(bad)


def circles(edges):
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(root):
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return sorted(found)


def test_every_part_has_a_layer():
    assert not {_part(m) for m in MODULES} - set(LAYERS), "a new top-level part of sparsekit needs a layer here"


def test_imports_point_down():
    bad = upward_edges(import_graph())
    assert not bad, "imports pointing up (or between linalg and ot):\n" + "\n".join(bad)


def _circles_in(area):
    return [c for c in circles(import_graph()) if all(m.startswith(area) for m in c)]


CIRCLE_AREAS = ["sparsekit._core", "sparsekit.linalg._relaxation", "sparsekit.linalg._krylov",
                "sparsekit.linalg._sketching", "sparsekit.linalg", "sparsekit.ot", "sparsekit.datasets",
                "sparsekit.learn", "sparsekit"]


@pytest.mark.parametrize("area", CIRCLE_AREAS)
def test_no_import_circle(area):
    """One test per area (innermost first), so a circle is reported where it lives."""
    inner = [a for a in CIRCLE_AREAS if a != area and a.startswith(area + ".")]
    found = [c for c in _circles_in(area) if not any(all(m.startswith(i) for m in c) for i in inner)]
    assert not found, "import circles (not even lazy ones):\n" + "\n".join(" <-> ".join(c) for c in found)


@pytest.mark.parametrize("package", ["sparsekit.linalg", "sparsekit.ot"])
def test_solver_layer_imports_neither_sklearn_nor_datasets(package):
    code = (f"import sys, {package}; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn' or m == 'sparsekit.datasets'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=PACKAGE.parent)
    assert out.stdout.strip() == "[]", f"import {package} imports {out.stdout.strip()}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_length(module):
    lines = len(MODULES[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines (at most {MAX_LINES}): split it where its concerns part"
