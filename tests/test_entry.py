"""What ui/entry.py relies on in Streamlit, so that an upgrade that changes it fails here, not
for the first visitor after a restart (tests/test_browser_data.py opens such a first link)."""

import ast
import inspect

from streamlit.commands import navigation
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import script_runner

from support.databases import ROOT


def test_a_pages_folder_beside_the_entry_script_turns_on_the_old_mode(monkeypatch):
    monkeypatch.setattr(PagesManager, "uses_pages_directory", None)
    PagesManager(str(ROOT / "streamlit_app.py"))
    assert PagesManager.uses_pages_directory is True
    assert (ROOT / "pages").is_dir()


def test_the_old_mode_runs_the_page_instead_of_the_entry_script():
    source = inspect.getsource(script_runner.ScriptRunner)
    assert "if PagesManager.uses_pages_directory:" in source
    assert "_mpa_v1(self._main_script_path)" in source


def test_st_navigation_turns_the_old_mode_off_for_the_process():
    assert "PagesManager.uses_pages_directory = False" in inspect.getsource(navigation.navigation)


def test_every_page_asks_to_run_within_the_app_first():
    for page in sorted((ROOT / "pages").glob("*.py")):
        calls = [node for node in ast.parse(page.read_text()).body
                 if any(isinstance(inner, ast.Call) for inner in ast.walk(node))]
        assert ast.unparse(calls[0]) == "entry.within_the_app()", page.name
