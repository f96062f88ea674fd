"""The yardstick for page-open times (scripts/bench_page_open.py): a minimal Streamlit app that
draws two small Plotly charts and nothing else."""

import plotly.graph_objects as go
import streamlit as st

st.title("Two charts")
st.plotly_chart(go.Figure(go.Bar(x=["a", "b", "c"], y=[3, 1, 2])), width="stretch")
st.plotly_chart(go.Figure(go.Pie(labels=["x", "y"], values=[2, 1])), width="stretch")
