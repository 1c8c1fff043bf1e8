"""The layering of DESIGN §2 for third-party imports: who may import textual and peewee.

The arrows between our own layers are import-linter contracts (pyproject.toml, run by
``make check``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "orderupd_tui"


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def layer(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_each_module_imports_only_what_its_layer_may(path: Path) -> None:
    found = imports(path)
    top = {name.split(".")[0] for name in found}
    where = layer(path)
    if where != "tui":
        assert "textual" not in top, "only tui/ imports textual"
    if where not in ("db", "services"):
        assert "peewee" not in top and "playhouse" not in top, "only db/ and services/ use peewee"
    if where == "domain":
        ours = {n for n in found if n.startswith("orderupd_tui")}
        assert all(n.startswith("orderupd_tui.domain") for n in ours), "domain/ is self-contained"
        # iso4217 is the ISO 4217 table itself: data, read once from its own package.
        assert top <= {"orderupd_tui", "__future__", "dataclasses", "datetime", "decimal",
                       "hashlib", "typing", "collections", "re", "enum", "functools", "iso4217"}, (
            "domain/ does no I/O")


def test_the_checks_see_every_layer() -> None:
    assert {layer(p) for p in modules()} >= {"domain", "db", "stores", "services", "tui", "cli"}
