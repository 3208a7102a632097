"""Atomic file drops into `<gateway root>/<CSP ID>/outbound/`.

A CSP polls its folder and must never read a half-written file, whatever happens to the writer
(a crash, SIGKILL, power loss). Each file is therefore written under a temporary name in the
same directory (a rename is atomic only within one file system), flushed to disk with fsync,
renamed into place, and the directory fsynced so the rename itself survives a power cut. The
SHA-256 beside it (`<name>.sha256`, sha256sum format) is put in place the same way *before* the
main file, so a reader that sees a file can always check it.

Temporary names start with a dot and end in `.tmp`: readers take only names matching
`FILE_NAME`. Names sort in creation order: a 12-digit sequence number comes first.

Path safety: the CSP ID and every name part are checked against strict patterns, and the
resolved directory must lie inside the resolved gateway root, so neither `../`, an absolute
path nor a symlink planted in the root can send a file elsewhere.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from chfw_api.domain.errors import InvalidIdentifier
from chfw_api.domain.gateway_names import FILE_NAME, check_csp_id, file_name

STALE_TEMP_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class Written:
    path: Path
    sha256: str
    already_there: bool


def outbound_dir(root: Path, csp_id: str, *, create: bool = True) -> Path:
    """`<root>/<csp_id>/outbound`, refused if it would resolve outside `root` (checked before
    anything is created, so a planted symlink cannot make us create a folder elsewhere)."""
    check_csp_id(csp_id)
    base = root.resolve()
    csp_dir = (base / csp_id).resolve()
    if csp_dir.parent != base or csp_dir.name != csp_id:
        raise InvalidIdentifier(f"gateway folder for {csp_id!r} resolves outside the gateway root")
    directory = (csp_dir / "outbound").resolve()
    if directory.parent != csp_dir or directory.name != "outbound":
        raise InvalidIdentifier(f"gateway folder for {csp_id!r} resolves outside the gateway root")
    if create:
        directory.mkdir(parents=True, exist_ok=True)
    return directory


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_put(directory: Path, name: str, data: bytes) -> None:
    tmp = directory / f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.replace(tmp, directory / name)
    _fsync_dir(directory)


def _intact(path: Path, sha: str) -> bool:
    try:
        return sha256_hex(path.read_bytes()) == sha
    except FileNotFoundError:
        return False


def write_file(directory: Path, name: str, body: bytes, *, sha256: str | None = None) -> Written:
    """Put `body` at `directory/name` atomically, its SHA-256 beside it first.

    Idempotent: a file already there with the right hash and checksum file is left alone, so a
    writer that crashed after the rename but before recording it can simply run again.
    """
    if FILE_NAME.fullmatch(name) is None:
        raise InvalidIdentifier(f"gateway file name {name!r} is not well-formed")
    sha = sha256 or sha256_hex(body)
    target = directory / name
    checksum = directory / f"{name}.sha256"
    line = f"{sha}  {name}\n".encode()
    if _intact(target, sha) and checksum.is_file() and checksum.read_bytes() == line:
        return Written(target, sha, already_there=True)
    _atomic_put(directory, checksum.name, line)
    _atomic_put(directory, name, body)
    return Written(target, sha, already_there=False)


def sweep_temporaries(directory: Path, *, older_than: float = STALE_TEMP_SECONDS) -> int:
    """Remove temporary files a killed writer left behind (only old ones: a live writer's
    temporary file is young)."""
    cutoff = time.time() - older_than
    removed = 0
    for path in directory.glob(".*.tmp"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def read_verified(path: Path) -> bytes | None:
    """A dropped file's bytes if its `.sha256` says they are complete, else None."""
    checksum = path.with_name(path.name + ".sha256")
    try:
        expected = checksum.read_text().split()[0]
        body = path.read_bytes()
    except (FileNotFoundError, IndexError):
        return None
    return body if sha256_hex(body) == expected else None


__all__ = [
    "FILE_NAME",
    "Written",
    "check_csp_id",
    "file_name",
    "outbound_dir",
    "read_verified",
    "sha256_hex",
    "sweep_temporaries",
    "write_file",
]
