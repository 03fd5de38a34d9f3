"""No module uses another module's private names: what is shared is public and named (issue 18).

Scans every module of the package (ast): ``from xjr_excel.x import _name``, and ``alias._name`` where
``alias`` is one of our modules imported under that name, both fail unless the two are one module.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "xjr_excel"


def _module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _resolve(mod: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = mod.split(".")[: len(mod.split(".")) - node.level + (1 if mod.endswith("__init__") else 0)]
    return ".".join(base + ([node.module] if node.module else []))


def uses_of_private_names(root: Path = PACKAGE) -> list[str]:
    modules = {_module_name(p, root) for p in root.rglob("*.py")}
    found = []
    for path in sorted(root.rglob("*.py")):
        me = _module_name(path, root)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases: dict[str, str] = {}           # local name → our module it stands for
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                src = _resolve(me, node)
                if not src.startswith("xjr_excel"):
                    continue
                for a in node.names:
                    full = f"{src}.{a.name}"
                    if full in modules:
                        aliases[a.asname or a.name] = full
                    elif _private(a.name) and src != me:
                        found.append(f"{me}: from {src} import {a.name}")
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("xjr_excel") and a.asname:
                        aliases[a.asname] = a.name
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and _private(node.attr):
                target = aliases.get(node.value.id)
                if target and target != me:
                    found.append(f"{me}: {target}.{node.attr}")
    return sorted(set(found))


def test_no_module_uses_another_modules_private_names():
    assert uses_of_private_names() == []


def test_the_scan_sees_both_ways_of_reaching_a_private_name(tmp_path):
    pkg = tmp_path / "xjr_excel"
    (pkg / "a").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a" / "__init__.py").write_text("")
    (pkg / "a" / "one.py").write_text("_SECRET = 1\n\ndef _helper():\n    return _SECRET\n")
    (pkg / "two.py").write_text("from xjr_excel.a.one import _SECRET\nfrom xjr_excel.a import one as O\n\n"
                                "def f():\n    return O._helper(), _SECRET\n")
    assert uses_of_private_names(pkg) == ["xjr_excel.two: from xjr_excel.a.one import _SECRET",
                                          "xjr_excel.two: xjr_excel.a.one._helper"]
