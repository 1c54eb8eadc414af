"""The import rules of docs/architecture.md, checked on the source (no database, no Django).

`core` is the shared kernel and imports no app; `jobs` (the job records every background
task reports to) builds on core only, `audit` on core and jobs; an app may use core, audit and
jobs, and the only domain dependencies between apps are game -> content, courses and rewards
(a saved session drives the learning loop), courses -> content, and imports -> content's
services, selectors and exceptions. Of `config`, apps use only the Celery app, and
only in their tasks.py (jobs anywhere). Imports inside `if TYPE_CHECKING:`
are type hints (e.g. `User` in signatures) and do not count.

`python -m tests.test_architecture` prints the graph.
"""

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "audit", "jobs", "accounts", "content", "game", "courses", "rewards", "community", "imports",
            "scoring", "config")
APPS = ("accounts", "content", "game", "courses", "rewards", "community", "imports", "scoring")
ALLOWED = {
    "core": set(),
    "audit": {"core", "jobs"},
    "jobs": {"core"},
    "accounts": {"core", "audit", "jobs"},
    "content": {"core", "audit", "jobs"},
    # game orchestrates a saved session: lesson completion, XP and achievements, league XP.
    "game": {"core", "audit", "jobs", "content", "courses", "rewards", "community"},
    "courses": {"core", "audit", "jobs", "content"},
    "rewards": {"core", "audit", "jobs"},
    "community": {"core", "audit", "jobs"},
    "imports": {"core", "audit", "jobs", "content"},
    "scoring": {"core", "audit", "jobs"},
    # Wiring: settings and urls name every app, by string; code imports only the kernel.
    "config": {"core"},
}
# Of content, imports may use only the interface its services offer.
IMPORTS_MAY_USE_OF_CONTENT = ("content.services", "content.selectors", "content.exceptions")


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imported_modules(tree: ast.AST) -> list[str]:
    modules: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            modules.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.append(node.module)
            # `from content import services` imports content.services.
            modules.extend(f"{node.module}.{alias.name}" for alias in node.names if node.module in PACKAGES)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return modules


def import_graph() -> dict[str, dict[str, set[str]]]:
    """{package: {imported first-party module: {files importing it}}}, for every package's source files."""
    graph: dict[str, dict[str, set[str]]] = {package: defaultdict(set) for package in PACKAGES}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for module in _imported_modules(ast.parse(path.read_text(), filename=str(path))):
                top = module.split(".")[0]
                if top in PACKAGES and top != package:
                    graph[package][module].add(str(path.relative_to(ROOT)))
    return graph


def _allowed(package: str, module: str, files: set[str]) -> bool:
    if module.split(".")[0] in ALLOWED[package]:
        return True
    # Tasks bind to the one Celery app, which lives with the wiring; jobs also asks it about workers.
    return module == "config.celery" and (package == "jobs" or all(file.endswith("/tasks.py") for file in files))


def test_every_package_imports_only_what_the_layout_allows():
    wrong = [f"{files} imports {module}" for package, modules in import_graph().items()
             for module, files in modules.items() if not _allowed(package, module, files)]
    assert wrong == []


def test_imports_uses_content_only_through_its_services_selectors_and_exceptions():
    used = import_graph()["imports"]
    wrong = [f"{sorted(files)} imports {module}" for module, files in used.items()
             if module.split(".")[0] == "content" and module != "content"
             and not module.startswith(IMPORTS_MAY_USE_OF_CONTENT)]
    assert wrong == []


def test_the_rule_sees_imports_and_ignores_type_hints():
    tree = ast.parse(
        "from typing import TYPE_CHECKING\nfrom content import services\nimport game.models\n"
        "if TYPE_CHECKING:\n    from accounts.models import User\n")
    assert _imported_modules(tree) == ["typing", "content", "content.services", "game.models"]


if __name__ == "__main__":
    for package, modules in import_graph().items():
        targets = sorted({module.split(".")[0] for module in modules} | set())
        print(f"{package:9} -> {', '.join(targets) or '(nothing)'}")
        for module in sorted(modules):
            if module.split(".")[0] in APPS:
                print(f"{'':13}{module}")
