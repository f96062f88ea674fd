"""Pure figure builders: DataFrame in, Plotly figure out.

Built with plotly.graph_objects rather than plotly.express: the same figures for a fraction of
the server's time per page view (docs/decisions.md).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from db.derive.streams import minutes
from queries.shared import NO_DETAILS, UNKNOWN, source
from ui.text import chart_text

SPOTIFY_GREEN = "#1DB954"
UNKNOWN_GREY = "#9E9E9E"
NO_DETAILS_GREY = "#CFD8DC"  # lighter: not known yet, where Unknown is known to be missing
EXPLICIT_COLORS = {"Explicit": "#E91E63", "Clean": SPOTIFY_GREEN, UNKNOWN: UNKNOWN_GREY,
                   NO_DETAILS: NO_DETAILS_GREY}
BAR_COLORS = {UNKNOWN: UNKNOWN_GREY, NO_DETAILS: NO_DETAILS_GREY}  # every other bar is green
_MARGIN = {"t": 48, "l": 8, "r": 8, "b": 8}


def _categorical_bars(data: pd.DataFrame, x: str, title: str, x_label: str) -> go.Figure:
    categories = data[x].tolist()
    bars = go.Bar(x=categories, y=data["tracks"].tolist(),
                  marker_color=[BAR_COLORS.get(c, SPOTIFY_GREEN) for c in categories],
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


def streams_per_month_figure(months: pd.DataFrame, title: str = "Streams per month"
                             ) -> go.Figure:
    """Bars of streams per month (columns month, streams, ms), each a month wide, a month without
    streams a gap; hovering a bar gives its minutes too."""
    firsts = [pd.Timestamp(m) for m in months["month"]]
    bars = go.Bar(x=[m.strftime("%Y-%m-01") for m in firsts], y=months["streams"].tolist(),
                  marker_color=SPOTIFY_GREEN, xperiod="M1", xperiodalignment="middle",
                  customdata=minutes(months["ms"]).tolist(),
                  hovertemplate="%{x|%Y-%m}: %{y:,} streams, %{customdata:,.0f} minutes"
                                "<extra></extra>")
    span = (firsts[-1].year - firsts[0].year) * 12 + firsts[-1].month - firsts[0].month \
        if firsts else 0
    most = int(months["streams"].max()) if len(months) else 0
    return go.Figure(bars, layout={
        "title": title, "margin": _MARGIN,
        # Whole streams; one tick per stream while there are few.
        "yaxis": {"title": "Streams", "tickformat": ",d", "rangemode": "tozero",
                  **({"dtick": 1} if most <= 10 else {})},
        # Months, never days; one tick a month while there are few.
        "xaxis": {"title": "Month", "type": "date", "tickformat": "%Y-%m",
                  **({"dtick": "M1"} if span <= 18 else {})}})


YEAR_COLORS = ("#9E9E9E", SPOTIFY_GREEN)  # the year before grey, the year shown green
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def minutes_per_month_figure(years: dict[int, pd.DataFrame]) -> go.Figure:
    """Grouped bars of minutes per calendar month, one trace per year ({year: frame with month
    and minutes, twelve rows}), earlier year first so the later one is drawn on the right."""
    ordered = sorted(years.items())
    bars = [go.Bar(name=str(year), x=list(MONTH_NAMES[:len(frame)]),
                   y=[round(float(m), 1) for m in frame["minutes"]],
                   marker_color=YEAR_COLORS[-len(ordered) + n],
                   hovertemplate="%{x} " + str(year) + ": %{y:,.0f} minutes<extra></extra>")
            for n, (year, frame) in enumerate(ordered)]
    return go.Figure(bars, layout={
        "title": "Minutes per month", "margin": _MARGIN, "barmode": "group",
        "yaxis": {"title": "Minutes", "tickformat": ",d"},
        "xaxis": {"type": "category", "categoryorder": "array",
                  "categoryarray": list(MONTH_NAMES)},
        "legend": {"orientation": "h", "y": -0.2}})


STREAMS_COLOR = "#FFA000"  # amber: stands out from the green bars on light and dark themes
GRANULARITY_WORDS = {"day": "day", "week": "week (from Monday)", "month": "month"}


# More periods than this are drawn as a stepped area: bars of a few pixels cannot be told apart,
# and a browser draws thousands of them slowly (all time per day: ten years of bars).
MOST_BARS = 120


def listening_series_figure(series: pd.DataFrame, granularity: str) -> go.Figure:
    """Minutes (bars, or a stepped area past MOST_BARS; left axis) and streams (a line, right
    axis) per day, week or month (columns period, streams, minutes; each period keyed by its
    first day)."""
    # Months as categories: on a date axis a month's bar straddles two month ticks.
    monthly = granularity == "month"
    x = [pd.Timestamp(p).strftime("%Y-%m" if monthly else "%Y-%m-%d") for p in series["period"]]
    minutes = [round(float(m), 1) for m in series["minutes"]]
    streams = [int(s) for s in series["streams"]]
    hover = {"day": "%{x|%Y-%m-%d}", "week": "week of %{x|%Y-%m-%d}", "month": "%{x}"}[granularity]
    minutes_hover = hover + ": %{y:,.0f} minutes<extra></extra>"
    if len(x) <= MOST_BARS:
        drawn = go.Bar(name="Minutes", x=x, y=minutes, marker_color=SPOTIFY_GREEN,
                       hovertemplate=minutes_hover)
    else:  # each period a step centred on its first day, as its bar was: one shape, not thousands
        drawn = go.Scatter(name="Minutes", x=x, y=minutes, mode="lines", fill="tozeroy",
                           line={"shape": "hvh", "width": 0, "color": SPOTIFY_GREEN},
                           fillcolor=SPOTIFY_GREEN, hovertemplate=minutes_hover)
    return go.Figure([
        drawn,
        go.Scatter(name="Streams", x=x, y=streams, yaxis="y2",
                   mode="lines+markers" if len(x) <= 60 else "lines",
                   line={"color": STREAMS_COLOR, "width": 2},
                   hovertemplate=hover + ": %{y:,} streams<extra></extra>"),
    ], layout={
        "title": f"Minutes and streams per {GRANULARITY_WORDS[granularity]}",
        "margin": _MARGIN, "bargap": 0.1, "hovermode": "x unified",
        "xaxis": {"type": "category"} if monthly else {"type": "date"},
        "yaxis": {"title": "Minutes", "tickformat": ",d", "rangemode": "tozero"},
        "yaxis2": {"title": "Streams", "overlaying": "y", "side": "right", "tickformat": ",d",
                   "rangemode": "tozero", "showgrid": False},
        "legend": {"orientation": "h", "y": -0.15}})


WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def listening_heatmap_figure(grid: pd.DataFrame, by: str) -> go.Figure:
    """Streams or minutes by weekday (rows, Monday at the top) and hour of the day (columns):
    `grid` has weekday (1 Monday .. 7 Sunday), hour (0-23), streams and minutes, 168 rows."""
    values = grid.pivot(index="weekday", columns="hour", values=by).reindex(
        index=range(1, 8), columns=range(24), fill_value=0)
    z = [[round(float(v), 1) for v in row] for row in values.to_numpy()]
    unit = "streams" if by == "streams" else "minutes"
    return go.Figure(go.Heatmap(
        z=z, x=[f"{h:02d}" for h in range(24)], y=list(WEEKDAY_NAMES), colorscale="Greens",
        hovertemplate="%{y} %{x}:00–%{x}:59: %{z:,.0f} " + unit + "<extra></extra>",
        colorbar={"title": {"text": unit.capitalize()}}), layout={
        "title": f"When you listen: {unit} by weekday and hour",
        "margin": _MARGIN,
        "xaxis": {"title": "Hour of the day (the hour a stream ended in)", "type": "category"},
        "yaxis": {"type": "category", "autorange": "reversed"}})
