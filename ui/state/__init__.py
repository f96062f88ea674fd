"""Each page's state as it lives in its URL: pure values and parsing (no Streamlit, no SQL), one
module per page, each declaring its session key and URL parameters once (its ``STATE``, taken up
and given back by ui/page_state.py).

``links``: what they share: PageState, dates, track ids and the time range read from a link,
hints' quoting, and the periods the pickers offer (from db.model.snapshots.WINDOW_DAYS).
``dashboard``: the filter (a date window and a time range).
``time_machine``: the top list's date and time range, the consistent artists' window.
``compare``: two dates or two periods, and a time range.
``rank_history``: the tracks charted and the time range (or each range).
``listening``: the Listening page's period, granularity, measure and tab.
``tracks``: the search, the track or artist shown, the explorer's questions.
``recap``: the year in review's year.
"""
