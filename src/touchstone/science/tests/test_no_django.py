"""The science core must stay a plain library: no module in it may import Django."""

import ast
from pathlib import Path

SCIENCE = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_it_imports_no_django_anywhere_in_the_science_core():
    offenders = {
        str(path.relative_to(SCIENCE)): sorted(
            name
            for name in _imports(path)
            if name.split(".")[0] == "django"
            or (name.startswith("touchstone.") and not name.startswith("touchstone.science"))
        )
        for path in SCIENCE.rglob("*.py")
        if "tests" not in path.parts
    }
    offenders = {path: names for path, names in offenders.items() if names}
    assert offenders == {}
