"""The read side: each page's questions as SQL, answered as DataFrames and cached by data version.

``core``: run a query into a DataFrame through the shared pool, and ``@cached`` (one cache per
query, keyed by the data version and the arguments). The questions take plain values (the pages'
state, parsed from their URLs, is the UI's: ui/state/). One module of questions per page:
``dashboard``, ``time_machine``, ``compare``, ``history``, ``listening``, ``recap``, ``tracks``,
``data``; ``shared`` holds what several pages ask.
"""
