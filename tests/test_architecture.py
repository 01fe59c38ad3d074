"""The layers of plmlib: ``plmlib/cli/`` is the only code that parses arguments, and nothing below it imports it.

Read with ``ast`` (nothing is imported), so a violation anywhere in the package is found, also in a module no other
test imports. The rule for ``if __name__ == "__main__"``: no such block outside ``plmlib/cli/`` (a module to run is a
``plm`` command; ``python -m plmlib.cli`` is ``plm``).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "plmlib"
CLI = "plmlib.cli"


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(tree: ast.AST, name: str, is_package: bool) -> set[str]:
    """Every module an ``import`` or ``from ... import`` names anywhere in ``tree`` (in functions too), relative
    imports resolved; ``from a import b`` counts as ``a`` and ``a.b``."""
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = parts[: len(parts) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
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


def violations(package: Path = PACKAGE) -> list[str]:
    """One line per module outside plmlib/cli that imports argparse or plmlib.cli, or has a ``__main__`` block."""
    found = []
    for path in sorted(package.rglob("*.py")):
        name = module_name(path, package)
        if name == CLI or name.startswith(CLI + "."):
            continue
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
