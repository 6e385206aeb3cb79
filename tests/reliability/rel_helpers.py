"""Small builders shared by the reliability tests."""

import io

import pandas as pd


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def topic_rows(n: int, labels=("refund", "card", None)) -> str:
    """A small CSV body of texts from three topics, labeled from ``labels`` in turn."""
    topics = ["refund my payment please", "my card was lost abroad", "change my pin code"]
    lines = ["id,text,label"]
    for i in range(n):
        label = labels[i % len(labels)]
        lines.append(f"{i},{topics[i % 3]} {i},{'' if label is None else label}")
    return "\n".join(lines) + "\n"
