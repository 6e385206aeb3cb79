"""The Streamlit dashboard: draws the core's results and records the researcher's decisions."""
