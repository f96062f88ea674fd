"""Streamlit-facing pieces the entry script and the pages share: ``startup`` (the database opened
once per process), ``entry`` (pages run inside the app), ``page_state`` (state to and from the
URL), ``sidebar``, ``charts`` (pure figure builders), ``tables``, ``text`` (untrusted text made
plain), ``guard`` (a failing section draws its own box), and the ``stress_test`` and
``spotify`` panels.
"""
