"""Deterministic archives of a build: the same folder gives the same bytes.

tar.zst uses the ``zstandard`` package (a wheel on every platform, so Windows needs no ``zstd``
binary); zip uses the standard library. Entries are sorted, times fixed, owners dropped, and the
executable bit kept, so the unpacked app runs and two archives of one build compare equal.
"""

from __future__ import annotations

import stat
import tarfile
import zipfile
from pathlib import Path

FIXED_MTIME = 315532800  # 1980-01-01, the earliest time zip can hold
ZSTD_LEVEL = 6  # ~4x smaller than the folder; higher levels cost minutes for a few percent


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*"), key=lambda p: p.relative_to(folder).as_posix())


def _mode(path: Path) -> int:
    return 0o755 if path.is_dir() or path.stat().st_mode & stat.S_IXUSR else 0o644


def write_tar_zst(folder: Path, out: Path) -> Path:
    import zstandard

    def clean(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = FIXED_MTIME
        return info

    cctx = zstandard.ZstdCompressor(level=ZSTD_LEVEL, threads=-1)
    with (
        out.open("wb") as raw,
        cctx.stream_writer(raw) as zfh,
        tarfile.open(fileobj=zfh, mode="w|", format=tarfile.PAX_FORMAT) as tar,
    ):
        for path in [folder, *_entries(folder)]:
            arcname = (Path(folder.name) / path.relative_to(folder)).as_posix()
            info = clean(tar.gettarinfo(str(path), arcname))
            if not path.is_symlink():
                info.mode = _mode(path)
            if path.is_file() and not path.is_symlink():
                with path.open("rb") as fh:
                    tar.addfile(info, fh)
            else:
                tar.addfile(info)
    return out


def write_zip(folder: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for path in _entries(folder):
            if path.is_symlink() or not (path.is_file() or path.is_dir()):
                continue
            arcname = (Path(folder.name) / path.relative_to(folder)).as_posix()
            if path.is_dir():
                arcname += "/"
            info = zipfile.ZipInfo(arcname, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (_mode(path) | (stat.S_IFDIR if path.is_dir() else stat.S_IFREG)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED if path.is_file() else zipfile.ZIP_STORED
            zf.writestr(info, b"" if path.is_dir() else path.read_bytes())
    return out


def write_archive(folder: Path, fmt: str) -> Path:
    """``<folder>.tar.zst`` or ``<folder>.zip`` beside ``folder``; ``dir`` leaves the folder alone."""
    if fmt == "tar.zst":
        return write_tar_zst(folder, folder.with_name(folder.name + ".tar.zst"))
    if fmt == "zip":
        return write_zip(folder, folder.with_name(folder.name + ".zip"))
    return folder
