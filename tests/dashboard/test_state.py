"""The dashboard's shared caches and messages, without a browser."""

from collections import OrderedDict

from dashboard import state


def test_the_result_a_researcher_keeps_going_back_to_is_dropped_last():
    cache = OrderedDict()
    state._remember(cache, "demo", "demo result", limit=2)
    state._remember(cache, "upload", "upload result", limit=2)
    assert state._recall(cache, "demo") == "demo result"  # used again: now the most recent
    state._remember(cache, "third", "third result", limit=2)
    assert list(cache) == ["demo", "third"]
    assert state._recall(cache, "upload") is None
