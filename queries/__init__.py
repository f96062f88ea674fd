"""The read side: each page's questions as SQL, answered as DataFrames and cached by data version.

``core``: run a query into a DataFrame through the shared pool, and ``@cached`` (one cache per
query, keyed by the data version and the arguments). Page state the questions take, parsed from
URLs as pure values: ``filters`` (the dashboard's window) and ``links`` (the time machine's
pages). One module of questions per page: ``dashboard``, ``time_machine``, ``compare``,
``history``, ``tracks``, ``data``; ``shared`` holds what several pages ask.
"""
