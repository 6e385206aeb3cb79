"""Fill-in page: proposed labels with source and confidence, measured accuracy, and the acceptance threshold."""

import pandas as pd
import streamlit as st

from dashboard import charts, state
from discovery import assign_label, set_min_confidence
from discovery.export import label_next_table, labels_to_check_table, to_csv_bytes
from discovery.pipeline import (FILL_PREFERENCE, describe_fill_estimate, fill_skipped_reason, unestimated_accuracy_advice,
                                words_turned_off)
from discovery.suggest import rows_to_label_next

st.title("Fill-in")

COLUMNS = ["text", "human_label", "proposed_label", "label_source", "confidence", "cluster_id"]
NEXT_SHOWN, NEXT_FILE = 20, 100  # suggestions on the page, and in the file to download


def show_accuracy(result) -> None:
    st.subheader("Accuracy estimates")
    st.caption("Each method is scored on labeled rows it did not see (5-fold hold-out, or the fold kept out of "
               f"fine-tuning). The first of {', '.join(FILL_PREFERENCE)} that ran proposes the labels, unless another "
               "labels the same held-out rows clearly better.")
    balance = result.fill_balance
    if balance:
        verdict = "ran" if balance.get("used") else "did not run"
        st.caption(f"Balanced (each known class held to its share of the labeled rows) {verdict}: "
                   f"{state.for_dashboard(balance['reason'])}.")
    if getattr(result, "fill_words", False):
        st.caption("The model was not fine-tuned on your labels, so blend and balanced also take in a classifier on "
                   "the texts' words, which tell apart classes a general sentence model blurs.")
    elif words_turned_off(result):
        st.caption("The texts' words are not blended into the fill-in: turned off in the sidebar's More settings.")
    calibration = getattr(result, "fill_calibration", {}) or {}
    if calibration:
        st.caption("Confidences are calibrated on the same held-out rows (raised to the power that makes them "
                   "most likely), so a confidence of 0.9 means about nine in ten right whichever method proposed it.")
    st.caption("The held-out rows stand for the unlabeled ones when the labels were drawn at random, or evenly "
               "across classes; labeled some classes more than others, the estimate leans to those (4.9 and 6.5 "
               "points high on two benchmarks), and the class shares rarely show it.")
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
    estimate = describe_fill_estimate(result.fill_estimate_now)
    if estimate:
        (st.warning if result.fill_estimate.get("caveat") else st.caption)(
            state.plain(estimate[0].upper() + estimate[1:] + "."))
    show_by_class(result.fill_estimate.get("by_class") or {})


def show_by_class(by_class: dict) -> None:
    """The estimate's held-back rows per class, the worst first: where the proposals fail, which one number hides."""
    if not by_class:
        return
    frame = pd.DataFrame([{"class": name, "held back": scored, "right": right, "share right": right / scored}
                          for name, (scored, right) in by_class.items()])
    with st.expander(f"Held-back rows by class ({len(frame)} classes)"):
        st.caption("A class whose held-back rows were mostly labeled otherwise loses its unlabeled rows to other "
                   "classes too, most often to the classes labeled most; a class with a row or two held back says "
                   "little either way.")
        st.dataframe(frame.sort_values(["share right", "held back"], kind="stable"), hide_index=True,
                     width="content", column_config={"share right": st.column_config.NumberColumn(format="percent")})


def apply_threshold() -> None:
    """The button's callback: applied before the page is drawn again."""
    threshold = float(st.session_state["fill_threshold"])
    if abs(threshold - state.get_result().min_confidence) < 1e-9:
        state.notify_note(f"The threshold is {threshold:.2f} already.")
        return
    state.decide_now(lambda r: set_min_confidence(r, threshold), f"Threshold set to {threshold:.2f}.")


def show_threshold(result) -> None:
    st.subheader("Acceptance threshold")
    rows = result.rows
    proposed = rows[result.decided_by_threshold]
    # follow undo and other sessions, and a visit to another page: Streamlit forgets a widget's value when its page is
    # not drawn, and the slider then stood at 0.00 beside the 0.80 applied (Apply accepted every proposal: hunt 133)
    if st.session_state.get("_threshold_for") != result.min_confidence or "fill_threshold" not in st.session_state:
        st.session_state["fill_threshold"] = float(result.min_confidence)
        st.session_state["_threshold_for"] = result.min_confidence
    threshold = st.slider("Accept proposals with confidence at least", 0.0, 1.0, step=0.01, key="fill_threshold")
    accepted = int((proposed.confidence >= threshold).sum())
    waiting = int((rows.label_source == "candidate").sum())
    st.caption(f"At {threshold:.2f}: {accepted:,} of {len(proposed):,} proposed labels accepted "
               f"({accepted / max(len(proposed), 1):.1%}); currently applied: {result.min_confidence:.2f}."
               + (f" The {waiting:,} rows of open candidates are not accepted until you name them (Candidates page)."
                  if waiting else ""))
    # never drawn disabled: moved by the arrow keys, the slider's last value can reach the server after the button
    # was drawn for the one before, and Enter on it then did nothing (2 times in 4: helper 113); a click sends the
    # slider's value with it
    st.button("Apply threshold", key="fill_apply", on_click=apply_threshold)
    st.plotly_chart(charts.confidence_histogram(proposed, threshold), width="stretch", key="fill_hist")


def label_next_row() -> None:
    """The form's callback: label the chosen suggestion (runs before the page is drawn again)."""
    row_id = int(st.session_state["next_row"])
    label = str(st.session_state.get("next_label", ""))
    if state.decide_now(lambda result: assign_label(result, [row_id], label), ""):
        applied = state.get_result().decisions[-1]["label"]  # a class's spelling, if it is one
        state.notify(f"Labeled row {row_id} as {applied!r}; the decision is saved.")


def show_label_next(result) -> None:
    st.subheader("Label these next")
    st.caption("The unlabeled rows the fill-in is least sure of and its methods disagree on, spread over the "
               "proposed classes: a label here teaches it more than one on a row it already gets right. Rows of "
               "candidate clusters are named on the Candidates page instead. A label you give is a human label "
               "in the export at once; the fill-in learns from it when you run again with your labels (Data "
               "page). To label more in a spreadsheet, use the label_next.csv that Save all files (Export page) "
               "writes: `discovery add-labels` adds what you type there and, from the manifest.json beside it, the "
               "labels given here; the list downloaded below carries only what you type into it.")
    # the file's first rows: picked for 20, a class's cap (twice an even share) let fewer of one class in than the file's
    suggested = rows_to_label_next(result, n=NEXT_FILE).head(NEXT_SHOWN)
    if suggested.empty:
        st.info("Nothing to suggest: every row is labeled or sits in a candidate cluster.")
        return
    st.dataframe(suggested[["text", "proposed_label", "confidence", "alternatives", "reason"]], width="stretch",
                 height=min(420, 38 + 35 * len(suggested)), key="next_table",
                 column_config={"text": st.column_config.TextColumn(width=240)})  # 240 px: the proposed label in view at 1,024 px
    state.show_full_texts(suggested.text)
    with st.form("label_next", clear_on_submit=False):
        st.selectbox("Row to label", suggested.index.tolist(), key="next_row",
                     format_func=lambda row_id: f"{row_id}: {suggested.text[row_id][:90]}")
        st.text_input("Its label", key="next_label", placeholder="e.g. " + str(suggested.proposed_label.iloc[0]))
        st.form_submit_button("Label this row", type="primary", on_click=label_next_row)
    drawn = state.drawn()  # the file holds every decision saved by the click: another tab may have labeled rows since
    st.download_button(f"Download the {NEXT_FILE} rows to label next (CSV; the first {NEXT_SHOWN} are those above)",
                       lambda: to_csv_bytes(label_next_table(state.latest_result(drawn)[0], NEXT_FILE)),
                       file_name=state.download_name("label_next.csv"), mime="text/csv", key="next_download", on_click="ignore")


def keep_or_correct(row_id: int) -> None:
    """The button's callback: the researcher's verdict on a doubtful label (runs before the page is drawn again)."""
    typed = str(st.session_state.get(f"check_other_{row_id}", "")).strip()
    label = typed or str(st.session_state.get(f"check_verdict_{row_id}", ""))
    if state.decide_now(lambda result: assign_label(result, [row_id], label), ""):
        applied = state.get_result().decisions[-1]["label"]  # a class's spelling, if it is one
        state.notify(f"Row {row_id} is labeled {applied!r}; the decision is saved.")


def show_labels_to_check(result) -> None:
    st.subheader("Labels to check")
    doubts = result.labels_to_check
    checked = 0 if result.label_check is None else len(result.label_check)
    st.caption(f"Each of the {checked:,} labeled rows that could be held out was predicted from the other labels "
               "(on vectors never fine-tuned on them); cleanlab's confident learning lists those whose label the "
               "prediction contradicts while at least 50% sure of another class (the probabilities read with half "
               "each class's labeled share taken out, so a class labeled far more is not suggested on its numbers "
               "alone). A wrong label teaches every "
               "stage: keep or correct each one. A correction is a human label in the export at once, and the "
               "next run with your labels (Data page) learns from it.")
    if doubts.empty:
        st.info("No label looks doubtful." if checked else "Too few labeled rows to check them against each other.")
        return
    st.dataframe(doubts, width="stretch", height=min(420, 38 + 35 * len(doubts)), key="check_table",
                 column_config={name: st.column_config.ProgressColumn(format="%.2f", min_value=0.0, max_value=1.0)
                                for name in ("label_probability", "suggested_probability")})
    row_id = st.selectbox("Row to check", doubts.index.tolist(), key="check_row",
                          format_func=lambda r: f"{r}: {doubts.text[r][:90]}")
    row = doubts.loc[row_id]
    st.markdown(state.plain(" ".join(str(row.text).split())))  # the text whole: its label is the question
    left, right = st.columns([2, 1])
    left.radio("Its label", [row.suggested_label, row.label], key=f"check_verdict_{row_id}", horizontal=True,
               format_func=lambda label: state.plain(f"{label} (suggested)" if label == row.suggested_label
                                                     else f"{label} (as labeled)"))  # radio options are Markdown
    right.text_input("or another label", key=f"check_other_{row_id}")
    st.button("Save this label", type="primary", key="check_save", on_click=keep_or_correct, args=(int(row_id),))
    drawn = state.drawn()
    st.download_button(f"Download the {len(doubts)} label{'s' if len(doubts) != 1 else ''} to check (CSV)",
                       lambda: to_csv_bytes(labels_to_check_table(state.latest_result(drawn)[0])),
                       file_name=state.download_name("labels_to_check.csv"), mime="text/csv", key="check_download", on_click="ignore")


def show_rows(result) -> None:
    rows = result.rows
    st.subheader("All proposed labels")
    sources = sorted(rows.label_source.unique())
    labels = sorted(rows.proposed_label.dropna().unique(), key=str)
    left, mid, right = st.columns([3, 2, 2], vertical_alignment="bottom")
    chosen = left.multiselect("Source", sources, default=sources, key="fill_sources")
    label = mid.selectbox("Proposed label", [None, *labels], key="fill_label",
                          format_func=lambda name: "every label" if name is None else str(name))
    least_first = right.toggle("Least confident first", key="fill_least_first")
    shown, matching = state.rows_to_show(rows, chosen, label, least_first)
    if matching > len(shown):
        st.caption(f"The first {len(shown):,} of {matching:,} rows are shown (a page holding them all is slow to "
                   "open): choose a source or a label, or save the files on the Export page, which hold every row.")
    st.dataframe(shown[COLUMNS], width="stretch", height=420, column_config={
        "confidence": st.column_config.ProgressColumn(format="%.2f", min_value=0.0, max_value=1.0)})
    counts = rows.label_source.value_counts().rename_axis("source").reset_index(name="rows")
    st.dataframe(counts, hide_index=True)


with state.guard():
    result = state.require_result()
    a, b, c = st.columns(3)
    a.metric("Fill-in method", result.fill_method or "none")
    best = result.fill_accuracy.get(result.fill_method) if result.fill_method else None
    b.metric("Estimated accuracy", "-" if best is None else f"{round(best, 4):.1%}")  # as the estimate's sentence
    c.metric("Threshold applied", f"{result.min_confidence:.2f}")
    skipped = fill_skipped_reason(result.table.codec.names)
    if skipped:
        st.info(state.plain(f"Fill-in {skipped}."))
    elif result.fill_method and best is None:
        advice = unestimated_accuracy_advice(result.table)
        st.info(f"Too few labeled rows to hold some back: the accuracy of {result.fill_method} is not estimated and "
                "its confidences are not calibrated (read them as a ranking, not as probabilities). "
                f"{advice[0].upper()}{advice[1:]}.", icon=":material/info:")
    show_accuracy(result)
    show_labels_to_check(result)
    show_label_next(result)
    show_threshold(result)
    show_rows(result)
