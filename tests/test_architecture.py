"""The layers of plmlib: ``plmlib/cli/`` is the only code that parses arguments, and nothing below it imports it;
no module imports one of a higher layer (``LAYERS``), and no modules import each other in a circle (a package's
``__init__`` counts as a module: one whose modules import it back lazily is a circle too).

Read with ``ast`` (nothing is imported), so a violation anywhere in the package is found, also in a module no other
test imports; an import inside a function counts as one at the top. The rule for ``if __name__ == "__main__"``: no
such block outside ``plmlib/cli/`` (a module to run is a ``plm`` command; ``python -m plmlib.cli`` is ``plm``).
Outside ``plmlib/cli/``, an import inside a function says why it is not at the top (``# lazy: <reason>``).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "plmlib"
CLI = "plmlib.cli"


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_from(node: ast.ImportFrom, package: str) -> str:
    """The module a ``from ... import`` names, relative imports resolved against ``package`` (the importer's)."""
    base = node.module or ""
    if node.level:
        parts = package.split(".")
        anchor = parts[: len(parts) - (node.level - 1)]
        base = ".".join(anchor + ([base] if base else []))
    return base


def imported_modules(tree: ast.AST, name: str, is_package: bool) -> set[str]:
    """Every module an ``import`` or ``from ... import`` names anywhere in ``tree`` (in functions too), relative
    imports resolved; ``from a import b`` counts as ``a`` and ``a.b``."""
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = imported_from(node, package)
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def has_main_block(tree: ast.AST) -> bool:
    """An ``if __name__ == "__main__":`` (either way round) anywhere in ``tree``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Compare) and len(node.test.comparators) == 1:
            sides = [node.test.left, node.test.comparators[0]]
            names = [s.id for s in sides if isinstance(s, ast.Name)]
            texts = [s.value for s in sides if isinstance(s, ast.Constant)]
            if names == ["__name__"] and texts == ["__main__"]:
                return True
    return False


def modules_outside_cli(package: Path = PACKAGE) -> list[tuple[Path, str]]:
    """(file, module name) of every module of ``package`` outside plmlib/cli, in file order."""
    named = [(path, module_name(path, package)) for path in sorted(package.rglob("*.py"))]
    return [(path, name) for path, name in named if not (name == CLI or name.startswith(CLI + "."))]


def violations(package: Path = PACKAGE) -> list[str]:
    """One line per module outside plmlib/cli that imports argparse or plmlib.cli, or has a ``__main__`` block."""
    found = []
    for path, name in modules_outside_cli(package):
        tree = ast.parse(path.read_text(), str(path))
        imports = imported_modules(tree, name, path.name == "__init__.py")
        if any(m == "argparse" or m.startswith("argparse.") for m in imports):
            found.append(f"{name} imports argparse (only plmlib/cli parses arguments)")
        if any(m == CLI or m.startswith(CLI + ".") for m in imports):
            found.append(f"{name} imports plmlib.cli (a lower layer never imports the command line)")
        if has_main_block(tree):
            found.append(f'{name} has an if __name__ == "__main__" block (make it a plm command in plmlib/cli)')
    return found


def test_no_module_outside_cli_parses_arguments_imports_the_cli_or_runs_as_a_script():
    assert violations() == []


@pytest.mark.parametrize("source, expected", [
    ("import argparse\n", "imports argparse"),
    ("def f():\n    from argparse import ArgumentParser\n", "imports argparse"),
    ("from plmlib.cli import add_threads_option\n", "imports plmlib.cli"),
    ("def f():\n    import plmlib.cli.segment\n", "imports plmlib.cli"),
    ("from plmlib import cli\n", "imports plmlib.cli"),
    ("from .. import cli\n", "imports plmlib.cli"),
    ("def main():\n    pass\n\n\nif __name__ == '__main__':\n    main()\n", "__main__"),
    ("if '__main__' == __name__:\n    pass\n", "__main__"),
])
def test_each_check_finds_a_deliberate_violation(tmp_path, source, expected):
    """The checks above on a copy of a package with one violation planted in a sub-package, and a clean file in
    its cli/ which does all three (allowed there)."""
    package = tmp_path / "plmlib"
    (package / "data").mkdir(parents=True)
    (package / "cli").mkdir()
    (package / "__init__.py").write_text("")
    (package / "data" / "__init__.py").write_text("")
    (package / "data" / "clean.py").write_text("import json\nfrom plmlib.io import read_mask\n")
    (package / "cli" / "__init__.py").write_text("import argparse\nif __name__ == '__main__':\n    pass\n")
    (package / "cli" / "x.py").write_text("from plmlib.cli import main\n")
    assert violations(package) == []
    (package / "data" / "bad.py").write_text(source)
    found = violations(package)
    assert len(found) == 1 and found[0].startswith("plmlib.data.bad ") and expected in found[0], found


# The layers, lowest first: a module may import its own layer's modules and lower ones, never a higher one. Each
# module's layer is that of the longest prefix here naming it; a module none names fails the test (place it).
LAYERS: dict[str, int] = {
    "plmlib": 0,  # the package's __init__: the public API, taken from core
    "plmlib.core": 0,  # the VideoSegmenter contract, the method registry, crops, config, seeding, files, provenance
    "plmlib.io": 1, "plmlib.data": 1, "plmlib.metrics": 1,
    "plmlib.model": 2,
    "plmlib.train": 3,
    "plmlib.infer": 4, "plmlib.baselines": 4,
    **{f"plmlib.{name}": 5 for name in ("experiments", "course", "viz", "widgets", "published")},  # the applications
    "plmlib.cli": 6,
}
# Imports allowed against the layers, (importer, imported) -> why. None today; keep it so.
EXCEPTIONS: dict[tuple[str, str], str] = {}


def layer_of(module: str, layers: dict[str, int] = LAYERS) -> int | None:
    """The layer of the longest name of ``layers`` that is ``module`` or a package above it (``plmlib`` itself
    names only the package's ``__init__``)."""
    names = [p for p in layers if module == p or ("." in p and module.startswith(p + "."))]
    return layers[max(names, key=len)] if names else None


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the modules of the package it imports (at the top or inside functions). ``from a import b`` is an
    import of ``a.b`` when that is a module, else of ``a``; ``import a.b`` of ``a.b``."""
    paths = {module_name(path, package): path for path in sorted(package.rglob("*.py"))}

    def module_of(dotted: str) -> str | None:  # the longest prefix of ``dotted`` that is a module of the package
        parts = dotted.split(".")
        return next((".".join(parts[:n]) for n in range(len(parts), 0, -1) if ".".join(parts[:n]) in paths), None)

    graph = {}
    for name, path in paths.items():
        package_name = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets |= {module_of(alias.name) for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = imported_from(node, package_name)
                targets |= {module_of(f"{base}.{alias.name}") for alias in node.names}
        graph[name] = {t for t in targets if t is not None and t != name}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles of ``graph``: its strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def layer_violations(package: Path = PACKAGE, layers: dict[str, int] = LAYERS,
                     exceptions: dict[tuple[str, str], str] = EXCEPTIONS) -> list[str]:
    """One line per module no layer names, per import of a higher layer, and per import circle."""
    graph = import_graph(package)
    found = [f"{name} is in no layer (add it to LAYERS)" for name in sorted(graph) if layer_of(name, layers) is None]
    for name in sorted(graph):
        for target in sorted(graph[name]):
            low, high = layer_of(name, layers), layer_of(target, layers)
            if low is not None and high is not None and high > low and (name, target) not in exceptions:
                found.append(f"{name} (layer {low}) imports {target} (layer {high}): an upward import")
    found += [f"import circle among: {', '.join(circle)}" for circle in circles(graph)]
    return found


def test_no_upward_import_and_no_import_circle():
    graph = import_graph()
    assert "plmlib.model.checkpoint" in graph["plmlib.model.export"]  # the walk sees relative imports
    assert "plmlib.core.crops" in graph["plmlib.train.finetune"]  # and "from package import module"
    assert layer_violations() == []


def test_circles_finds_a_circle_and_only_it():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_exception_is_still_needed():
    graph = import_graph()
    assert [pair for pair in EXCEPTIONS if pair[1] not in graph.get(pair[0], set())] == []


@pytest.mark.parametrize("files, expected", [
    ({"core/low.py": "from plmlib.model.leaf import x\n"},
     "plmlib.core.low (layer 0) imports plmlib.model.leaf (layer 2)"),
    ({"core/low.py": "def f():\n    from ..model import leaf\n"},
     "plmlib.core.low (layer 0) imports plmlib.model.leaf"),
    ({"model/net.py": "import plmlib.train.leaf\n"}, "plmlib.model.net (layer 2) imports plmlib.train.leaf"),
    ({"core/low.py": "from plmlib.core import other\n", "core/other.py": "def f():\n    import plmlib.core.low\n"},
     "import circle among: plmlib.core.low, plmlib.core.other"),
    ({"model/a.py": "from .b import x\n", "model/b.py": "from .c import y\n",
      "model/c.py": "from plmlib.model import a\n"},
     "import circle among: plmlib.model.a, plmlib.model.b, plmlib.model.c"),
    ({"elsewhere.py": "x = 1\n"}, "plmlib.elsewhere is in no layer"),
])
def test_the_layer_checks_find_a_deliberate_violation(tmp_path, files, expected):
    """The layer and circle checks on a small package: clean as written (a lower import, one inside a function, an
    import of the same layer, a package importing its own modules), then with one violation planted."""
    package = tmp_path / "plmlib"
    clean = {"__init__.py": "", "core/__init__.py": "", "core/low.py": "import numpy\n",
             "core/other.py": "from plmlib.core.low import numpy\n", "model/__init__.py": "from .net import PLMNet\n",
             "model/net.py": "from plmlib.core import low\ndef f():\n    from plmlib.core.other import numpy\n",
             "model/leaf.py": "x = 1\n", "train/__init__.py": "", "train/leaf.py": "x = 1\n",
             "train/loop.py": "from plmlib.model import PLMNet\nimport plmlib.model.net\n"}
    for relative, text in clean.items():
        (package / relative).parent.mkdir(parents=True, exist_ok=True)
        (package / relative).write_text(text)
    layers = {"plmlib": 0, "plmlib.core": 0, "plmlib.model": 2, "plmlib.train": 3}
    assert layer_violations(package, layers, {}) == []
    for relative, text in files.items():
        (package / relative).write_text(text)
    found = layer_violations(package, layers, {})
    assert len(found) == 1 and found[0].startswith(expected), found


# An import inside a function hides a dependency of its module: outside plmlib/cli (whose command modules import
# lazily so that ``plm --help`` stays fast), each one says why it waits. The rule: a run of consecutive import
# statements in a function body is explained by a comment ``# lazy: <reason>`` on the line just above the run or on
# one of its lines; any other is moved to the module's top.
LAZY_REASON = re.compile(r"# lazy: \S")


def unexplained_imports(path: Path) -> list[int]:
    """The line of each import inside a function of ``path`` (nested blocks and functions too) that no
    ``# lazy: <reason>`` comment explains (the rule above)."""
    lines = path.read_text().splitlines()
    found = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for _, value in ast.iter_fields(node):
            if in_function and isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                runs, run = [], []  # the runs of consecutive import statements of this statement list
                for statement in value + [None]:
                    if isinstance(statement, (ast.Import, ast.ImportFrom)):
                        run.append(statement)
                    elif run:
                        runs.append(run)
                        run = []
                for run in runs:
                    near = lines[run[0].lineno - 2: run[-1].end_lineno]  # the line above, and the run's lines
                    if not any(LAZY_REASON.search(line) for line in near):
                        found.extend(statement.lineno for statement in run)
        for child in ast.iter_child_nodes(node):
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)))

    visit(ast.parse("\n".join(lines), str(path)), False)
    return sorted(found)


def function_import_violations(package: Path = PACKAGE) -> list[str]:
    """One line per module outside plmlib/cli with an unexplained import inside a function."""
    found = []
    for path, name in modules_outside_cli(package):
        lines = unexplained_imports(path)
        if lines:
            found.append(f"{name}: imports inside functions at lines {lines} without a '# lazy: <reason>' comment: "
                         "move them to the top, or say why they wait")
    return found


def test_every_import_inside_a_function_says_why_it_waits():
    assert function_import_violations() == []


@pytest.mark.parametrize("source, lines", [
    ("def f():\n    import json\n", [2]),
    ("def f():\n    import json  # lazy\n", [2]),  # no reason given
    ("def f():\n    from json import dumps  # heavy\n", [2]),  # a comment, not the rule's
    ("def f():\n    import json  # lazy: heavy\n    x = 1\n    import csv\n", [4]),  # a run ends at other code
    ("class A:\n    def f(self):\n        if self:\n            from os import path\n", [4]),
    ("def f():\n    def g():\n        import json\n    return g\n", [3]),
    ("async def f():\n    try:\n        import json\n    except ImportError:\n        import csv\n", [3, 5]),
])
def test_the_function_import_check_finds_a_deliberate_violation(tmp_path, source, lines):
    """The check on a small package: clean as written (imports at the top, in a class body, explained ones: on the
    line, above a run, on a ``try:`` above it; unexplained ones in cli/), then with one module that breaks the rule."""
    package = tmp_path / "plmlib"
    clean = {"__init__.py": "import json\n", "data/__init__.py": "",
             "data/ok.py": "import json\n\nclass A:\n    import csv\n\n    def f(self):\n"
                           "        import yaml  # lazy: heavy\n",
             "data/run.py": "def f():\n    # lazy: heavy and optional\n    import yaml\n    from json import dumps\n"
                            "    try:  # lazy: optional\n        import libarchive\n    except ImportError:\n"
                            "        pass\n",
             "cli/__init__.py": "def main():\n    import json\n"}
    for relative, text in clean.items():
        (package / relative).parent.mkdir(parents=True, exist_ok=True)
        (package / relative).write_text(text)
    assert function_import_violations(package) == []
    (package / "data" / "bad.py").write_text(source)
    assert unexplained_imports(package / "data" / "bad.py") == lines
    found = function_import_violations(package)
    assert len(found) == 1 and found[0].startswith(f"plmlib.data.bad: imports inside functions at lines {lines} ")


def test_every_command_and_sub_command_answers_help():
    """``plm <command> --help`` exits 0 for every command of COMMANDS (and every sub-command: train, figures,
    published), in one fresh process: each command module imports and builds its parser."""
    from plmlib.cli import COMMANDS

    script = """
import contextlib, io, sys
from plmlib.cli import COMMANDS, main
failed = []
for argv in [[name] for name in COMMANDS] + [["train", "pretrain"], ["train", "finetune"], ["figures", "results"],
                                             ["figures", "drift"], ["published", "refresh"]]:
    with contextlib.redirect_stdout(io.StringIO()) as out:
        try:
            main([*argv, "--help"])
            code = "no exit"
        except SystemExit as exit:
            code = exit.code
    if code != 0 or "usage: plm " + " ".join(argv) not in out.getvalue():
        failed.append((argv, code))
print(failed)
sys.exit(1 if failed else 0)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          cwd=PACKAGE.parent)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert len(COMMANDS) >= 13


def test_python_m_plmlib_cli_is_plm():
    done = subprocess.run([sys.executable, "-m", "plmlib.cli", "--help"], capture_output=True, text=True,
                          timeout=120, cwd=PACKAGE.parent)
    assert done.returncode == 0 and "usage: plm " in done.stdout, done.stderr[-3000:]
