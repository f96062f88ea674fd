"""Pure figure builders: DataFrame in, Plotly figure out."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

SPOTIFY_GREEN = "#1DB954"


def release_decades_figure(decades: pd.DataFrame) -> go.Figure:
    fig = px.bar(
        decades, x="decade", y="tracks", title="Release decades",
        labels={"decade": "Decade", "tracks": "Tracks"},
        color_discrete_sequence=[SPOTIFY_GREEN],
    )
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=list(decades["decade"]))
    fig.update_layout(margin={"t": 48, "l": 8, "r": 8, "b": 8})
    return fig
