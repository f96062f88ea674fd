"""Every hostile string through ui.text.plain() in every Markdown-bodied element the app uses,
for tests/test_browser_plain_text.py."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import streamlit as st  # noqa: E402

from ui.text import plain  # noqa: E402

from support.hostile_text import HOSTILE  # noqa: E402

DRAW = {
    "warning": st.warning, "error": st.error, "info": st.info, "caption": st.caption,
    "markdown": st.markdown,
    # The app's own Markdown around the text (an emoji shortcode makes Streamlit load its
    # emoji support, which acts on the text too unless plain() stops it).
    "composed": lambda body: st.markdown(":headphones: " + body),
}
for i, text in enumerate(HOSTILE):
    for kind, draw in DRAW.items():
        with st.container(key=f"c-{i}-{kind}"):
            draw(plain(text))
for i, text in enumerate(HOSTILE[:3]):
    with st.container(key=f"m-{i}"):
        st.metric("metric", 1, help=plain(text))
st.text("END")
