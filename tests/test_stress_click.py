"""A click on "Run stress test" starts a run, whatever the page is doing when it lands.

Why a click used to be lost in the browser tests (never the app's fault): the sidebar's expander
opens with a 500 ms height animation during which its box is `overflow: hidden` and the button is
clipped. Playwright scrolls a clipped target into view, which scrolls the expander's box itself;
as the animation grows the box, that scroll shrinks back to 0 and the button slides down by up to
~150 px. Pressed on the button, released ~20 ms later on the expander's text: the browser fires
the click on their common ancestor, the button's handler never runs and no message reaches the
server. A visitor sees the button revealed in place (nothing scrolls the box for a mouse), so
these tests click once the expander is open, as a visitor would, and then check that the run
starts even when the page is busy: a script run going on, charts still loading, another widget's
rerun in flight.
"""

import os
import re

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from db.ingest import demo

from support import browser
from support.browser import app_env

END = demo.dt.date(2026, 6, 30)

SIDEBAR = "[data-testid='stSidebar']"
# The expander has finished opening: open, no height animation left, nothing clipped or scrolled.
EXPANDER_OPEN = """label => {
    const box = Array.from(document.querySelectorAll(
            "[data-testid='stSidebar'] [data-testid='stExpander'] details"))
        .find(d => d.querySelector('summary')?.innerText.includes(label));
    return !!box && box.open && box.getAnimations().length === 0 && box.scrollTop === 0
        && !box.style.height;
}"""
# The run of that many writes has started (or is already over): what the visitor sees after a
# click that landed (the button disabled, its progress, or its result).
RUN_STARTED = """writes => {
    const sidebar = document.querySelector("[data-testid='stSidebar']");
    const button = Array.from(sidebar.querySelectorAll('button'))
        .find(b => b.innerText.trim() === 'Run stress test');
    return (button && button.disabled) || !!sidebar.querySelector("[data-testid='stProgress']")
        || sidebar.innerText.split('\\n').some(line => line.startsWith(`${writes} writes completed in`));
}"""


def open_stress_test(page) -> None:
    """Open the sidebar's "Stress test" expander and wait until it has finished opening."""
    page.get_by_text("Stress test", exact=True).click()
    page.wait_for_function(EXPANDER_OPEN, arg="Stress test", timeout=30_000)


def click_run_and_wait_for_start(page, writes: int, busy: str) -> None:
    """Click "Run stress test" once it is enabled, then wait for the run to start (its own
    failure: a lost click is not a slow run)."""
    button = page.get_by_role("button", name="Run stress test")
    expect(button).to_be_enabled(timeout=30_000)
    state = page.get_attribute("[data-testid='stApp']", "data-test-script-state")
    charts = page.locator("[data-testid='stPlotlyChart'] .main-svg").count()
    button.click(timeout=30_000)
    try:
        page.wait_for_function(RUN_STARTED, arg=writes, timeout=20_000)
    except PlaywrightTimeout:
        browser.screenshot(page, "stress-click-lost")
        raise AssertionError(
            f"the click ({busy}; script {state}, {charts} charts drawn) did not start a run "
            f"within 20 s; button disabled: {button.is_disabled()}; sidebar: "
            f"{page.inner_text(SIDEBAR)[-400:]!r}") from None


def wait_for_result(page, writes: int) -> None:
    sentence = page.get_by_text(re.compile(rf"^{writes:,} writes completed in \d+\.\d\ds$"))
    try:
        sentence.wait_for(timeout=90_000)
    except PlaywrightTimeout:
        browser.screenshot(page, "stress-click-no-result")
        raise AssertionError(f"the run started but gave no result for {writes} writes in 90 s; "
                             f"sidebar: {page.inner_text(SIDEBAR)[-400:]!r}") from None


def test_a_stress_test_click_while_the_page_is_busy_still_starts_the_run(use_database, chrome):
    demo.seed_demo(tracks=150, days=15, seed=8, end=END)
    env = app_env(DATABASE_URL=use_database, HOME=os.environ["HOME"],
                  MTM_STRESS_TEST_COOLDOWN_S="0")
    with browser.running_app(env) as url:
        page = chrome.new_page(viewport={"width": 1400, "height": 1400})
        try:
            # 1. Right after navigation: the sidebar is drawn before the page's queries run and
            # its charts load; the visitor does not wait for them.
            page.goto(url)
            open_stress_test(page)
            click_run_and_wait_for_start(page, 500, "right after navigation")
            wait_for_result(page, 500)

            # 2. During another widget's rerun: a new number of writes typed, then the button
            # clicked at once. The click takes the focus from the field, which sends the new
            # value (a rerun), and the click's own rerun arrives while that one runs.
            expect(page.get_by_role("button", name="Run stress test")).to_be_enabled(timeout=30_000)
            page.get_by_label("Writes").fill("300")
            click_run_and_wait_for_start(page, 300, "during the rerun that sends the new writes")
            wait_for_result(page, 300)
        finally:
            page.close()
