"""The Data page's Spotify section: connect (Authorization Code with PKCE), Sync now, Disconnect.

Spotify sends the browser back to this page with ``code`` and ``state`` in the address, in a new
session: finish_connecting() redeems them before the page asks for a passphrase (the state proves
a granted session began the connection) and takes them out of the address at once. No token is
ever in the session, on the page or in a message: db.ingest.spotify.sync keeps the refresh token in the
database and hands the UI an Account without it.
"""

from __future__ import annotations

import time

import psycopg
import streamlit as st

from db.errors import DatabaseError, first_line
from db.ingest.spotify import api, sync
from db.model.access import Grant
from queries import core, data
from ui.guard import guarded
from ui.text import plain

MESSAGE_KEY = "spotify_message"
CONNECT_KEY = "spotify_connect_url"
CONNECT_URL_S = 10 * 60  # a fresh address before the pending connection (15 min) runs out
CALLBACK_PARAMS = ("code", "state", "error")


def finish_connecting() -> None:
    """If Spotify has just sent the browser back here, finish connecting (or say why not)."""
    params = st.query_params
    if "state" not in params or not ("code" in params or "error" in params):
        return
    state, code, error = (params.get(name) for name in ("state", "code", "error"))
    for name in CALLBACK_PARAMS:  # not left in the address bar, the history or a bookmark
        params.pop(name, None)
    try:
        account = sync.complete_connect(state, code, error)
        core.forget_answers()  # the account asked with the data version is the one before
    except (DatabaseError, psycopg.Error) as exc:
        _say("error", f"Spotify was not connected: {first_line(exc)}")
    else:
        _say("success", f"Connected to Spotify as {account.name}. Sync now records today's "
                        "top tracks.")


def _say(kind: str, text: str) -> None:
    st.session_state[MESSAGE_KEY] = (kind, text)


def _show_message() -> None:
    kind, text = st.session_state.pop(MESSAGE_KEY, (None, None))
    if kind == "error":
        st.error(plain(text), icon="🚫")
    elif kind == "success":
        st.success(plain(text), icon="✅")


def visitor_status() -> None:
    """What anyone may see (read-only, or before the passphrase): whether an account is synced
    and when, never whose it is."""
    st.subheader("Spotify")
    _show_message()
    with guarded("the Spotify connection"):
        account = data.spotify_account()
        st.caption("No Spotify account is connected." if account is None else
                   f"A Spotify account is connected; last synced {_when(account.last_sync_at)}.")


def panel(grant: Grant) -> None:
    st.subheader("Spotify")
    _show_message()
    try:
        config = api.settings()
    except api.SpotifyNotConfigured as exc:
        st.info(f"{plain(exc)}. docs/spotify.md in the repository says how to "
                "create the app and what to register.", icon="🔌")
        return
    with guarded("the Spotify connection"):
        account = data.spotify_account()
        if account is None:
            _connect(grant, config)
        else:
            _connected(grant, account)


def _connect(grant: Grant, config: api.Settings) -> None:
    st.caption("Connect your Spotify account and every sync records your top tracks (short, "
               "medium and long term, up to 99 each) as that day's lists.")
    url, made = st.session_state.get(CONNECT_KEY, (None, 0.0))
    if url is None or time.monotonic() - made > CONNECT_URL_S:
        url = sync.begin_connect(grant)
        st.session_state[CONNECT_KEY] = (url, time.monotonic())
    st.link_button("Connect Spotify", url, type="primary", icon="🔗")
    st.caption(plain(f"Spotify asks you to let this app read your top tracks, saved tracks and "
                     f"recently played tracks (scopes {api.SCOPE}, nothing else), then sends "
                     f"you back to {config.redirect_uri}"))


def _connected(grant: Grant, account: sync.Account) -> None:
    st.text(f"Connected as {account.name} since {_when(account.connected_at)}.\n"
            f"Last sync: {_when(account.last_sync_at)}.")
    if not account.bulk_details:
        st.warning(sync.RECONNECT_FOR_DETAILS, icon="🔄")
    buttons = st.container(horizontal=True)
    sync_now = buttons.button("Sync now", type="primary", key="spotify_sync")
    leave = buttons.button("Disconnect", key="spotify_disconnect")
    st.caption("A sync records today's lists. Run `python -m db sync-spotify` every day from "
               "cron or GitHub Actions: it records the lists, then fetches track details within "
               "the daily budget (docs/spotify.md shows how).")
    if sync_now:
        bar = st.progress(0.0, text="Asking Spotify…")

        def progress(stage: str, done: int, total: int) -> None:
            bar.progress(min(done / total, 1.0), text=f"{stage} ({done} of {total})")

        try:
            report = sync.sync_spotify(grant, progress=progress)
        except (DatabaseError, psycopg.Error) as exc:
            _say("error", f"The sync wrote nothing: {first_line(exc)}")
        else:
            _say("success", report.line())
        st.rerun()  # the status above, and the list of syncs below, now include this one
    if leave:
        try:
            sync.disconnect(grant)
        except (DatabaseError, psycopg.Error) as exc:
            _say("error", f"Not disconnected: {first_line(exc)}")
        else:
            st.session_state.pop(CONNECT_KEY, None)
            _say("success", "Disconnected: the refresh token is deleted. To revoke the app's "
                            "access on Spotify's side too, remove it at sync.com/account/apps.")
        st.rerun()


def _when(moment) -> str:
    return "never" if moment is None else f"{moment:%Y-%m-%d %H:%M %Z}".strip()
