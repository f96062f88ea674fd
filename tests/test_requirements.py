"""Community Cloud installs requirements.txt and nothing else: everything the app imports must be
named there (the test suite's own packages, in requirements-dev.txt, would hide a gap)."""

import ast
import re
import sys
from importlib.metadata import packages_distributions

from support.databases import ROOT

APP_PACKAGES = ["pages", "db", "queries", "ui"]


def imported_top_level_modules() -> set[str]:
    files = [ROOT / "streamlit_app.py"] + [
        path for package in APP_PACKAGES for path in (ROOT / package).rglob("*.py")]
    modules = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules


def required_distributions() -> set[str]:
    names = set()
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(normalized(re.match(r"[A-Za-z0-9._-]+", line).group()))
    return names


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_third_party_import_of_the_app_is_in_requirements_txt():
    ours = {*APP_PACKAGES, "streamlit_app"}
    third_party = imported_top_level_modules() - ours - set(sys.stdlib_module_names)
    assert {"streamlit", "psycopg", "pandas", "plotly"} <= third_party  # the walk saw the app
    providers = packages_distributions()
    required = required_distributions()
    missing = {module: providers.get(module) for module in third_party
               if not {normalized(d) for d in providers.get(module, [])} & required}
    assert not missing, f"imported by the app but not in requirements.txt: {missing}"
