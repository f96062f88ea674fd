"""Pure figure builders: DataFrame in, Plotly figure out."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

SPOTIFY_GREEN = "#1DB954"
EXPLICIT_COLORS = {"Explicit": "#E91E63", "Clean": SPOTIFY_GREEN, "Unknown": "#9E9E9E"}
_MARGIN = {"t": 48, "l": 8, "r": 8, "b": 8}


def _categorical_bars(data: pd.DataFrame, x: str, title: str, x_label: str) -> go.Figure:
    fig = px.bar(data, x=x, y="tracks", title=title, labels={x: x_label, "tracks": "Tracks"},
                 color_discrete_sequence=[SPOTIFY_GREEN])
    # Categories in the frame's order (decades ascending, years newest first, Unknown last).
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=list(data[x]))
    fig.update_layout(margin=_MARGIN)
    return fig


def release_decades_figure(decades: pd.DataFrame) -> go.Figure:
    return _categorical_bars(decades, "decade", "Release decades", "Decade")


def release_years_figure(years: pd.DataFrame) -> go.Figure:
    return _categorical_bars(years, "year", "Release years (newest first)", "Release year")


def explicit_figure(breakdown: pd.DataFrame) -> go.Figure:
    fig = px.pie(breakdown, names="content", values="tracks", title="Explicit vs clean",
                 hole=0.5, color="content", color_discrete_map=EXPLICIT_COLORS)
    fig.update_traces(sort=False, textinfo="percent+label")
    fig.update_layout(margin=_MARGIN)
    return fig
