"""Fill-in page: proposed labels with source and confidence, measured accuracy, and the acceptance threshold."""

import pandas as pd
import streamlit as st

from dashboard import charts, state
from discovery import set_min_confidence
from discovery.pipeline import FILL_PREFERENCE

st.title("Fill-in")

COLUMNS = ["text", "human_label", "proposed_label", "label_source", "confidence", "cluster_id"]


def show_accuracy(result) -> None:
    st.subheader("Accuracy estimates")
    st.caption("Each method is scored on labeled rows it did not see (5-fold hold-out, or the fold kept out of "
               f"fine-tuning). The first of {', '.join(FILL_PREFERENCE)} that ran proposes the labels, unless another "
               "labels the same held-out rows clearly better.")
    balance = result.fill_balance
    if balance:
        verdict = "ran" if balance.get("used") else "did not run"
        st.caption(f"Balanced (each known class held to its share of the labeled rows) {verdict}: {balance['reason']}.")
    calibration = getattr(result, "fill_calibration", {}) or {}
    if calibration:
        st.caption("Confidences are calibrated on the same held-out rows (raised to the power that makes them "
                   "most likely), so a confidence of 0.9 means about nine in ten right whichever method proposed it.")
    st.caption("Held-out rows come from the classes you labeled, so estimates and confidences assume each row "
               "belongs to one of them. A row of a category nobody has named that lands in a labeled class's "
               "cluster still gets that class, often with a high confidence: look through the candidate new "
               "categories, and the labeled clusters the Candidates page flags as maybe hiding one, before "
               "accepting proposals by threshold.")
    acc = pd.DataFrame({
        "method": list(result.fill_accuracy),
        "estimated accuracy": [None if v is None else round(float(v), 4) for v in result.fill_accuracy.values()],
        "confidence power": [calibration.get(m) for m in result.fill_accuracy],
        "used": [m == result.fill_method for m in result.fill_accuracy],
    })
    st.dataframe(acc, hide_index=True, width="content")


def apply_threshold() -> None:
    """The button's callback: applied before the page is drawn again."""
    threshold = float(st.session_state["fill_threshold"])
    state.decide_now(lambda r: set_min_confidence(r, threshold), f"Threshold set to {threshold:.2f}.")


def show_threshold(result) -> None:
    st.subheader("Acceptance threshold")
    rows = result.rows
    proposed = rows[rows.label_source != "human"]
    if st.session_state.get("_threshold_for") != result.min_confidence:  # follow undo / other sessions
        st.session_state["fill_threshold"] = float(result.min_confidence)
        st.session_state["_threshold_for"] = result.min_confidence
    threshold = st.slider("Accept proposals with confidence at least", 0.0, 1.0, step=0.01, key="fill_threshold")
    accepted = int((proposed.confidence >= threshold).sum())
    st.caption(f"At {threshold:.2f}: {accepted:,} of {len(proposed):,} proposed labels accepted "
               f"({accepted / max(len(proposed), 1):.1%}); currently applied: {result.min_confidence:.2f}.")
    st.button("Apply threshold", key="fill_apply", disabled=abs(threshold - result.min_confidence) < 1e-9,
              on_click=apply_threshold)
    st.plotly_chart(charts.confidence_histogram(rows, threshold), width="stretch", key="fill_hist")


def show_rows(result) -> None:
    rows = result.rows
    proposed = rows[rows.label_source != "human"]
    st.subheader("Least confident proposals")
    st.dataframe(proposed.nsmallest(50, "confidence")[COLUMNS], width="stretch", height=320)
    st.subheader("All proposed labels")
    sources = sorted(rows.label_source.unique())
    chosen = st.multiselect("Source", sources, default=sources, key="fill_sources")
    shown = rows[rows.label_source.isin(chosen)][COLUMNS]
    st.dataframe(shown, width="stretch", height=420, column_config={
        "confidence": st.column_config.ProgressColumn(format="%.2f", min_value=0.0, max_value=1.0)})
    counts = rows.label_source.value_counts().rename_axis("source").reset_index(name="rows")
    st.dataframe(counts, hide_index=True)


with state.guard():
    result = state.require_result()
    a, b, c = st.columns(3)
    a.metric("Fill-in method", result.fill_method or "none")
    best = result.fill_accuracy.get(result.fill_method) if result.fill_method else None
    b.metric("Estimated accuracy", "-" if best is None else f"{best:.1%}")
    c.metric("Threshold applied", f"{result.min_confidence:.2f}")
    show_accuracy(result)
    show_threshold(result)
    show_rows(result)
