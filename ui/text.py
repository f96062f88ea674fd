"""Text from a link, a file or the database, made safe for Streamlit's Markdown elements.

st.markdown, st.caption, st.info/warning/error/success and help= tooltips all read Markdown,
with Streamlit's additions (emoji shortcodes, :material/icons:, :red[colours], LaTeX, arrows,
bare links). plain() turns any text into Markdown that shows exactly that text. Checked in
Chromium against 80 hostile strings in every one of those elements
(tests/test_browser_plain_text.py): re-run it after upgrading Streamlit.
"""

from __future__ import annotations

import html
import re

WJ = "\u2060"  # WORD JOINER: invisible, no line-break opportunity, not \s/\w in JS

_WS = re.compile(r"[ \t\n\r\f\v]+")
_BREAK = re.compile(
    r"(?<=:)(?=\S)"           # :smile: :+1: :streamlit: :material_x: https://
    r"|(?<=@)"                # a@b.co  (GFM email autolink)
    r"|(?i:(?<=www))(?=\.)"   # www.example.com  (GFM www autolink)
    r"|(?<=<)(?=-)|(?<=-)(?=[->])|(?<=[<>~])(?==)"  # <- -> <-> -- <= >= ~=
)
_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character


def plain(text: object) -> str:
    """Return Markdown that Streamlit renders as exactly `text`, as plain text.

    1. Runs of ASCII whitespace (incl. newlines, tabs) -> one space, trimmed:
       no paragraphs, hard breaks, setext headings, indented code blocks,
       and no multi-line constructs (tables, fences, link definitions).
    2. A WORD JOINER (U+2060) goes where Streamlit rewrites *text nodes after*
       backslash escapes are resolved, so escaping alone cannot stop it:
       after ':' (emoji shortcodes, :streamlit: logo, :material_x: icons,
       http(s):// bare autolinks), after '@' (bare e-mail autolinks),
       between 'www' and '.' (bare www autolinks), and inside the arrows
       '->' '<-' '<->' '--' '>=' '<=' '~=' (Streamlit turns them into
       → ← ↔ — ≥ ≤ ≈).
    3. Every ASCII punctuation character gets a backslash (CommonMark allows
       it for all of them): stops links/images/reference links/autolinks
       <...>, raw HTML and entities (&lt; &#x3C;), emphasis/strike, code,
       headings, lists, quotes, tables, footnotes, KaTeX `$`, Streamlit
       directives (:red[..] :blue-background[..] :red-badge[..] :help[..]),
       :material/..: icons (`/` escaped) and trailing backslashes.
    Not changed: non-ASCII text (emoji, combining marks, bidi controls such
    as U+202E still act visually, within the element). Callers comparing or
    copying the text should strip U+2060.
    """
    text = _WS.sub(" ", str(text).replace("\0", "\ufffd")).strip(" ")
    text = _BREAK.sub(WJ, text)
    return _PUNCT.sub(r"\\\1", text)


def chart_text(text: object) -> str:
    """Text for a Plotly figure (trace names, categories, hover labels): Plotly reads a subset
    of HTML in them (<b>, <a href>, <br>, entities), so &, < and > become entities, which it
    shows as those characters."""
    return html.escape(str(text), quote=False)
