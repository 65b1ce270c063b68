"""The CLI starts cheap and builds nothing itself: heavy imports wait for the command that needs them,
and every store, processor, gateway, runtime and knowledge base comes from `purser.app`."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import purser.cli

CLI_DIR = Path(purser.cli.__file__).parent
HEAVY = ("sqlalchemy", "fastapi", "pydantic_ai", "pydantic", "rich", "alembic", "uvicorn", "purser.config")


def _loaded_after(code: str) -> list[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_importing_the_cli_loads_nothing_heavy() -> None:
    loaded = _loaded_after("import purser.cli")
    assert not [m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY]


def test_help_loads_nothing_heavy() -> None:
    loaded = _loaded_after(
        "import sys\nfrom purser.cli import app\nsys.argv = ['purser', '--help']\n"
        "try:\n    app()\nexcept SystemExit:\n    pass"
    )
    assert not [m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY]


def _sources() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in sorted(CLI_DIR.glob("*.py"))]


def test_the_cli_never_imports_sqlalchemy() -> None:
    for path, tree in _sources():
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(("sqlalchemy", "alembic", "purser.store")), f"{path.name} imports {name}"


CONSTRUCTORS = {
    "Database",
    "SandboxProcessor",
    "StripeProcessor",
    "AuditLog",
    "Gateway",
    "Runtime",
    "KnowledgeBase",
    "Container",
}


def test_the_cli_constructs_nothing_itself() -> None:
    for path, tree in _sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
            assert name not in CONSTRUCTORS and owner not in CONSTRUCTORS, f"{path.name}:{node.lineno} builds {name}"


def test_the_package_surface_is_lazy_and_complete() -> None:
    loaded = _loaded_after("import purser")
    assert not [m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY]
    resolved = _loaded_after(
        "import purser\nmissing = [n for n in purser.__all__ if getattr(purser, n, None) is None]\nassert not missing"
    )
    assert "purser.app" in resolved
    assert (Path(purser.cli.__file__).parent.parent / "py.typed").is_file()
