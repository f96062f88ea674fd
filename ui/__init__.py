"""Streamlit-facing helpers shared by the entry script and the pages: figures, the sidebar."""
