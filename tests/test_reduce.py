import numpy as np

from discovery.fill import nearest_neighbors
from discovery.reduce import LabelAwareUMAP


def same_label_share(layout: np.ndarray, y: np.ndarray, k: int = 5) -> float:
    """Share of each labeled row's k nearest rows on the map (labeled ones) that carry its label."""
    labeled = np.flatnonzero(y >= 0)
    points = layout[labeled]
    distances = ((points[:, None, :] - points[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(distances, np.inf)
    nearest = np.argsort(distances, axis=1)[:, :k]
    return float(np.mean(y[labeled][nearest] == y[labeled][:, None]))


def test_the_map_uses_the_neighbours_it_is_given(small_banking):
    """The pipeline searches neighbours once for the fill-in graph and the map. Given the real ones, the map
    keeps the labeled intents together as UMAP's own search does (and the same every time); given
    random rows as neighbours, it cannot, which shows UMAP laid out the neighbours it was handed. Scored on every
    row's true intent: on the 30 labeled rows alone the share swung 0.81-0.91 with the seed for either search."""
    frame, y, X = small_banking
    truth = frame.true_label.astype("category").cat.codes.to_numpy()
    searched = nearest_neighbors(X, 14)
    assert searched[0].shape == (len(X), 14)
    shared = LabelAwareUMAP(min_dist=0.1, random_state=0).fit(X, y, neighbors=searched).embedding_
    again = LabelAwareUMAP(min_dist=0.1, random_state=0).fit(X, y, neighbors=searched).embedding_
    own = LabelAwareUMAP(min_dist=0.1, random_state=0).fit(X, y).embedding_
    rng = np.random.RandomState(0)
    random_rows = np.array([rng.choice(np.delete(np.arange(len(X)), i), 14, replace=False) for i in range(len(X))])
    scrambled = LabelAwareUMAP(min_dist=0.1, random_state=0).fit(
        X, np.full(len(X), -1), neighbors=(random_rows, np.full(random_rows.shape, 0.9, dtype=np.float32))).embedding_
    assert np.array_equal(shared, again)
    assert same_label_share(shared, truth) >= same_label_share(own, truth) - 0.02
    assert same_label_share(shared, truth) > 0.9
    assert same_label_share(scrambled, truth) < 0.5


def test_too_few_neighbours_leave_the_search_to_umap(small_banking):
    _, y, X = small_banking
    few = nearest_neighbors(X, 5)
    assert np.array_equal(LabelAwareUMAP(random_state=0).fit(X, y, neighbors=few).embedding_,
                          LabelAwareUMAP(random_state=0).fit(X, y).embedding_)


def test_the_layout_reports_its_epochs_and_stops_where_progress_raises(small_banking):
    """The map and hdbscan's reduction said nothing until done (25 s on 4,000 rows, one core), so a dashboard run
    whose settings changed went on that long: the epochs now reach ``progress``, which can stop the layout."""
    import pytest

    _, y, X = small_banking
    seen = []
    reported = LabelAwareUMAP(random_state=0).fit(X, y, progress=lambda done, total: seen.append((done, total)))
    assert len(seen) >= 2 and seen[-1][0] == seen[-1][1] > 100  # every epoch done, counted up
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    silent = LabelAwareUMAP(random_state=0).fit(X, y).embedding_
    assert np.array_equal(reported.embedding_, silent)  # reporting changes nothing of the layout

    class Stopped(Exception):
        pass

    stopped_at = []

    def stop(done, total):
        if done > 0:
            stopped_at.append((done, total))
            raise Stopped

    many = np.random.RandomState(0).normal(size=(4000, 16)).astype(np.float32)  # seconds of layout: reports between
    with pytest.raises(Stopped):
        LabelAwareUMAP(random_state=0).fit(many, progress=stop)
    assert stopped_at[0][0] < stopped_at[0][1]  # stopped in the middle of the layout, not at its end


def test_a_new_process_reads_umaps_compiled_code_instead_of_compiling_it_again(tmp_path):
    """UMAP's numba functions are compiled once and kept: without that every ``discovery`` command and dashboard
    start compiled them again (20 s on a 2-core machine, before a 300-row map of 0.7 s). Two fresh processes draw
    the same labeled map; the second compiles none of the functions the first used (but for those UMAP declares
    with their types, compiled on its import, in a trice)."""
    import subprocess
    import sys

    script = tmp_path / "draw.py"
    script.write_text(
        "import numpy as np\n"
        "from numba.core.registry import CPUDispatcher\n"
        "from discovery.reduce import LabelAwareUMAP, umap_compiled_once\n"
        "X = np.random.RandomState(0).rand(120, 8).astype(np.float32)\n"
        "y = np.r_[np.zeros(20, int), np.ones(20, int), -np.ones(80, int)]\n"
        "LabelAwareUMAP(random_state=0).fit(X, y)\n"
        "import sys\n"
        "used = [f for name, m in list(sys.modules.items()) if name.startswith('umap')\n"
        "        for f in vars(m).values() if isinstance(f, CPUDispatcher) and f.signatures and f._can_compile]\n"
        "print(len(used), sum(f.stats.cache_misses.total() for f in used), sum(f.stats.cache_hits.total() for f in used))\n")
    runs = [subprocess.run([sys.executable, "-W", "ignore", str(script)], capture_output=True, text=True, check=True,
                           timeout=600) for _ in range(2)]
    used, misses, hits = map(int, runs[1].stdout.split())
    assert used > 5 and misses == 0 and hits >= used, runs[1].stdout
