"""Streamlit-facing pieces the entry script and the pages share: ``startup`` (the database opened
once per process), ``entry`` (pages run inside the app), ``page_state`` (state to and from the
URL), ``state/`` (each page's state as pure values parsed from its URL, one module a page),
``first_questions`` (the first questions a page's link asks, with the data version),
``sidebar``, ``charts`` (pure figure builders), ``tables``, ``text`` (untrusted text made
plain), ``guard`` (a failing section draws its own box), ``plays`` (a track's and an artist's
plays), ``details`` (tracks awaiting their Spotify details: the notice, the Fetch button),
``history_import`` (the data export checked or imported), and the ``stress_test`` and
``spotify`` panels.
"""
