"""Atomic gateway file drops: names, checksums, idempotency, path safety, and a reader that
never sees a partial file while the writer is SIGKILLed mid-write."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from chfw_api.domain.errors import InvalidIdentifier
from chfw_api.gateway.files import (
    FILE_NAME,
    file_name,
    outbound_dir,
    read_verified,
    sha256_hex,
    sweep_temporaries,
    write_file,
)


def test_names_sort_in_creation_order_and_carry_kind_and_campaign() -> None:
    names = [file_name(n, "instruction", "CMP-000001") for n in (9, 10, 100, 2)]
    assert names[0] == "000000000009-instruction-CMP-000001.xml"
    assert sorted(names) == [names[3], names[0], names[1], names[2]]
    assert all(FILE_NAME.fullmatch(n) for n in names)


def test_a_file_lands_whole_with_its_checksum_and_rewriting_is_idempotent(tmp_path: Path) -> None:
    d = outbound_dir(tmp_path, "CSP-N")
    assert d == (tmp_path / "CSP-N" / "outbound").resolve()
    name = file_name(1, "decision", "CMP-000001")
    first = write_file(d, name, b"<x/>")
    assert not first.already_there
    assert (d / name).read_bytes() == b"<x/>"
    assert (d / f"{name}.sha256").read_text() == f"{sha256_hex(b'<x/>')}  {name}\n"
    assert read_verified(d / name) == b"<x/>"
    assert write_file(d, name, b"<x/>").already_there
    assert sorted(p.name for p in d.iterdir()) == [name, f"{name}.sha256"]  # no temporaries


@pytest.mark.parametrize(
    "csp_id", ["../evil", "..", "/etc", "CSP/../../x", "CSP-N/..", ".hidden", "", "a" * 65, "x\0y"]
)
def test_csp_ids_cannot_escape_the_gateway_root(tmp_path: Path, csp_id: str) -> None:
    with pytest.raises(InvalidIdentifier):
        outbound_dir(tmp_path / "root", csp_id)
    assert not (tmp_path / "etc").exists() and not (tmp_path / "evil").exists()


@pytest.mark.parametrize(
    ("kind", "campaign"), [("../x", "CMP-1"), ("instruction", "../../etc"), ("a/b", "c")]
)
def test_file_name_parts_cannot_make_a_path(kind: str, campaign: str) -> None:
    with pytest.raises(InvalidIdentifier):
        file_name(1, kind, campaign)


def test_a_symlink_planted_in_the_root_is_refused(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "CSP-X").symlink_to(outside)
    (root / "CSP-Y").mkdir()
    (root / "CSP-Y" / "outbound").symlink_to(outside)
    for csp in ("CSP-X", "CSP-Y"):
        with pytest.raises(InvalidIdentifier):
            outbound_dir(root, csp)
    assert list(outside.iterdir()) == []  # nothing was created through the link


def test_a_file_without_a_matching_checksum_is_not_verified(tmp_path: Path) -> None:
    d = outbound_dir(tmp_path, "CSP-C")
    name = file_name(3, "instruction", "CMP-000002")
    write_file(d, name, b"<complete/>")
    (d / name).write_bytes(b"<compl")
    assert read_verified(d / name) is None
    assert not write_file(d, name, b"<complete/>").already_there  # repaired on rewrite
    assert read_verified(d / name) == b"<complete/>"


def test_stale_temporaries_are_swept_young_ones_kept(tmp_path: Path) -> None:
    d = outbound_dir(tmp_path, "CSP-S")
    old, young = d / ".a.xml.1.ab.tmp", d / ".b.xml.1.cd.tmp"
    old.write_bytes(b"x")
    young.write_bytes(b"y")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert sweep_temporaries(d) == 1
    assert not old.exists() and young.exists()


WRITER = """
import sys
from pathlib import Path
from chfw_api.gateway.files import file_name, write_file
directory, size = Path(sys.argv[1]), int(sys.argv[2])
n = 0
while True:
    n += 1
    fill = bytes([65 + n % 26])
    body = b"<file>" + fill * size + b"</file>"
    write_file(directory, file_name(n, "instruction", "CMP-000001"), body)
"""


def test_a_reader_polling_during_a_sigkilled_writer_never_sees_a_partial_file(
    tmp_path: Path,
) -> None:
    """The writer process is killed with SIGKILL mid-stream (files are 4 MiB, so it is almost
    surely mid-write); a reader polling all along only ever finds complete files."""
    size = 4 * 1024 * 1024
    d = outbound_dir(tmp_path, "CSP-N")
    seen: dict[str, int] = {}
    partial: list[str] = []
    stop = threading.Event()

    def check_all() -> None:
        for path in sorted(d.glob("*.xml")):
            if FILE_NAME.fullmatch(path.name) is None:
                continue
            body = path.read_bytes()
            whole = (
                len(body) == size + 13
                and body.startswith(b"<file>")
                and body.endswith(b"</file>")
                and body.count(body[6:7]) == size
            )
            if not whole:
                partial.append(f"{path.name}: {len(body)} bytes")
            checksum = path.with_name(path.name + ".sha256")
            if not checksum.exists():
                partial.append(f"{path.name}: visible before its checksum")
            seen[path.name] = len(body)

    def reader() -> None:
        while not stop.is_set():
            check_all()

    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(d), str(size)])
    thread = threading.Thread(target=reader)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while len(seen) < 3 and time.monotonic() < deadline and writer.poll() is None:
            time.sleep(0.01)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        time.sleep(0.05)
    finally:
        stop.set()
        thread.join()
    check_all()
    assert writer.returncode == -signal.SIGKILL
    assert len(seen) >= 3
    assert partial == []
    # Whatever the kill left behind is a dot-named temporary, which readers ignore.
    assert all(
        p.name.startswith(".")
        for p in d.iterdir()
        if not FILE_NAME.fullmatch(p.name) and not p.name.endswith(".sha256")
    )
