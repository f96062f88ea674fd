"""AppTest of the app's entry script."""

from __future__ import annotations

from support.databases import ROOT


def app_test(**kwargs):
    """An AppTest of streamlit_app.py, working around an AppTest regression.

    From Streamlit 1.64 to at least 1.67, AppTest drops every element of the entry script when a
    rerun asks for the page the previous run finished on, which every rerun of an st.navigation
    app does: the sidebar's widgets vanish after the first interaction and their state is lost
    on the next (a six-line app shows it; 1.63 and earlier are fine; the real server is not
    affected). Asking for no page reruns the default page, which is the same page while the
    test has not switched pages.
    """
    from streamlit.testing.v1 import AppTest

    class EntryRerunAppTest(AppTest):
        def _run(self, widget_state=None, timeout=None):
            if not self._page_hash and hasattr(self, "_finished_page_script_hash"):
                self._finished_page_script_hash = ""
            return super()._run(widget_state, timeout)

    return EntryRerunAppTest(ROOT / "streamlit_app.py", default_timeout=60, **kwargs)


def open_page(app, page: str, **params):
    """``app`` on pages/<page>.py opened from a link with ``params``: the entry script run
    first, the link's parameters set, the page switched to and run, with no exception."""
    app.run()
    for key, value in params.items():
        app.query_params[key] = value
    app.switch_page(f"pages/{page}.py").run()
    assert not app.exception, [e.value for e in app.exception]
    return app
