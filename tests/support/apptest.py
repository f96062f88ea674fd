"""AppTest of the app's entry script."""

from __future__ import annotations

import json

from support.browser import plotly_values
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


# The charts an AppTest run drew, by title prefix (Plotly's JSON spec), and the text of elements.
def chart(at, title):
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        if spec["layout"]["title"]["text"].startswith(title):
            return spec
    raise AssertionError(f"no chart titled {title!r}")


def bars(at, title):
    trace = chart(at, title)["data"][0]
    return dict(zip(trace["x"], plotly_values(trace["y"]), strict=True))


def pie(at, title):
    trace = chart(at, title)["data"][0]
    return dict(zip(trace["labels"], plotly_values(trace["values"]), strict=True))


def values(at, kind):
    """The values of the run's elements of a kind ("info", "caption", ...), one each."""
    return [element.value for element in getattr(at, kind)]


def shown_text(at, kind):
    """The elements' text as shown (without plain()'s escapes and word joiners), joined."""
    joined = " ".join(str(e.value) for e in getattr(at, kind))
    return joined.replace("\\", "").replace("\u2060", "")


def metrics(at):
    """The run's metrics: label -> value as shown."""
    return {m.label: m.value for m in at.metric}
