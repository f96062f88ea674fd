"""In Chromium, text through ui.text.plain() shows exactly as it came, as plain text, in every
Markdown-bodied element: no link, image, HTML, emphasis, LaTeX, emoji or icon from it. Streamlit
adds Markdown features from version to version: this is the check to re-run after an upgrade."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from support import browser
from support.hostile_text import HOSTILE
from support.waits import wait_until

KINDS = ["warning", "error", "info", "caption", "markdown", "composed"]
FORBIDDEN = ("a, img, script, iframe, .katex, strong, em, code, pre, h1, h2, h3, h4, h5, h6, "
             "ul, ol, li, table, blockquote, del, input, hr, br, sup, section, "
             "span[role=img], span[style], .stMarkdownColoredText, "
             ".stMarkdownColoredBackground, .stMarkdownBadge, .stMarkdownShimmer")
READ = """(el, forbidden) => {
  const md = el.querySelector('[data-testid=stMarkdownContainer],[data-testid=stCaptionContainer]');
  return md && {text: md.innerText, paragraphs: md.querySelectorAll('p').length,
                bad: [...md.querySelectorAll(forbidden)].map(e => e.outerHTML.slice(0, 80))};
}"""


def shown(text: str) -> str:
    """What plain() promises to show: the text, whitespace runs as one space."""
    text = text.replace("\0", "\ufffd").replace("\u2060", "")
    return re.sub(r"[ \t\n\r\f\v]+", " ", text).strip(" ")


def test_hostile_text_shows_as_itself_everywhere(browser_pages):
    env = {**os.environ, "HOME": os.environ["HOME"]}
    port = browser.free_port()
    app = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "tests/support/apps/plain_text_app.py",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless",
         "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=browser.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    problems = []
    try:
        wait_until(lambda: browser.healthy(url, app), "app did not start", every_s=0.2)
        page = browser_pages.new_page(viewport={"width": 1200, "height": 900})
        page.goto(url)
        page.get_by_text("END", exact=True).wait_for(timeout=60_000)
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
        for i, text in enumerate(HOSTILE):
            for kind in KINDS:
                read = page.locator(f".st-key-c-{i}-{kind}").evaluate(READ, FORBIDDEN)
                expected = shown(text) if kind != "composed" else f"🎧 {shown(text)}".strip()
                if read is None:
                    problems.append((i, kind, "not drawn"))
                elif shown(read["text"]) != expected or read["bad"] or read["paragraphs"] > 1:
                    problems.append((i, kind, shown(read["text"])[:60], read["bad"][:2]))
        for i, text in enumerate(HOSTILE[:3]):
            page.locator(f".st-key-m-{i} [data-testid=stTooltipHoverTarget]").first.hover()
            tip = page.locator("[data-testid=stTooltipContent]").last
            tip.wait_for(timeout=30_000)
            read = tip.evaluate("(el, f) => ({text: el.innerText, bad: "
                                "[...el.querySelectorAll(f)].length})", FORBIDDEN)
            if shown(read["text"]) != shown(text) or read["bad"]:
                problems.append((i, "help tooltip", shown(read["text"])[:60]))
            page.mouse.move(0, 0)
            tip.wait_for(state="detached", timeout=30_000)
    finally:
        app.terminate()
        app.wait(30)
    assert not problems, problems[:10]
