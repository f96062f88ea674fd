"""Pure figure builders: DataFrame in, Plotly figure out.

Built with plotly.graph_objects rather than plotly.express: the same figures, in about 3 ms
instead of 20 each, which is a third of the server's time per page view
(scripts/bench_sessions.py: the app's Python, not PostgreSQL, limits views per second).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from queries.shared import source
from ui.text import chart_text

SPOTIFY_GREEN = "#1DB954"
EXPLICIT_COLORS = {"Explicit": "#E91E63", "Clean": SPOTIFY_GREEN, "Unknown": "#9E9E9E"}
_MARGIN = {"t": 48, "l": 8, "r": 8, "b": 8}


def _categorical_bars(data: pd.DataFrame, x: str, title: str, x_label: str) -> go.Figure:
    bars = go.Bar(x=data[x].tolist(), y=data["tracks"].tolist(), marker_color=SPOTIFY_GREEN,
                  hovertemplate=f"{x_label}: %{{x}}<br>Tracks: %{{y:,}}<extra></extra>")
    # Categories in the frame's order (decades ascending, years newest first, Unknown last).
    # The layout goes to the constructor, validated once: the same figure as update_layout
    # afterwards, for a fraction of the cost (docs/performance.md).
    return go.Figure(bars, layout={
        "title": title, "margin": _MARGIN, "yaxis": {"title": "Tracks"},
        "xaxis": {"title": x_label, "type": "category", "categoryorder": "array",
                  "categoryarray": data[x].tolist()}})


def release_decades_figure(decades: pd.DataFrame) -> go.Figure:
    return _categorical_bars(decades, "decade", "Release decades", "Decade")


def release_years_figure(years: pd.DataFrame) -> go.Figure:
    return _categorical_bars(years, "year", "Release years (newest first)", "Release year")


def explicit_figure(breakdown: pd.DataFrame) -> go.Figure:
    labels = breakdown["content"].tolist()
    pie = go.Pie(labels=labels, values=breakdown["tracks"].tolist(), hole=0.5, sort=False,
                 marker={"colors": [EXPLICIT_COLORS[label] for label in labels]},
                 textinfo="percent+label",
                 hovertemplate="%{label}: %{value:,} tracks<extra></extra>")
    return go.Figure(pie, layout={"title": "Explicit vs clean", "margin": _MARGIN})


SIDE_COLORS = ("#9E9E9E", SPOTIFY_GREEN)  # A grey, B green: the later side stands out


def side_by_side_figure(data: pd.DataFrame, key: str, title: str) -> go.Figure:
    """Grouped bars: one category per `key` value, one bar per side (the other columns)."""
    sides = [column for column in data.columns if column != key]
    fig = go.Figure([
        go.Bar(name=side, x=data[key].tolist(), y=data[side].tolist(), marker_color=color,
               hovertemplate="%{x}: %{y:,} tracks<extra>" + side.split(":")[0] + "</extra>")
        for side, color in zip(sides, SIDE_COLORS, strict=True)])
    fig.update_layout(title=title, margin=_MARGIN, barmode="group", yaxis_title="Tracks",
                      legend={"orientation": "h", "y": -0.2},
                      xaxis={"type": "category", "categoryorder": "array",
                             "categoryarray": data[key].tolist()})
    return fig


def rank_history_figure(history: pd.DataFrame, names: dict[str, str], by_range: bool
                        ) -> go.Figure:
    """Rank over time, rank 1 at the top; a gap where a track was not on that day's list.
    One line per track (by_range: per track and time range); hovering a point tells whether its
    list was Spotify's or derived from the streaming history."""
    fig = go.Figure()
    for (track_id, time_range), line in history.groupby(["track_id", "time_range"], sort=False):
        name = chart_text(names.get(track_id, track_id))
        if by_range:
            name = f"{name} · {time_range.replace('_term', ' term')}"
        ranks = [None if pd.isna(r) else int(r) for r in line["rank"]]
        # Each point's source (Spotify's list or one derived from the streaming history).
        sources = [source(d) or "" for d in line["derived"]]
        fig.add_trace(go.Scatter(
            x=[d.isoformat() for d in line["snapshot_date"]], y=ranks, name=name,
            customdata=sources,
            mode="lines+markers" if len(ranks) < 40 else "lines", connectgaps=False,
            hovertemplate="%{x}: #%{y} (%{customdata})<extra>%{fullData.name}</extra>"))
    lowest = int(history["rank"].max()) if history["rank"].notna().any() else 1
    days = history["snapshot_date"].nunique()
    fig.update_layout(title="Rank history", margin=_MARGIN, hovermode="x unified",
                      # Whole ranks, rank 1 at the top.
                      yaxis={"title": "Rank", "autorange": "reversed", "tickformat": "d",
                             "rangemode": "normal", **({"dtick": 1} if lowest <= 10 else {})},
                      # Dates, never hours; one tick a day while there are few.
                      xaxis={"title": "Snapshot date", "type": "date", "tickformat": "%Y-%m-%d",
                             **({"dtick": 86_400_000} if days <= 10 else {})},
                      legend={"orientation": "h", "y": -0.25})
    return fig
