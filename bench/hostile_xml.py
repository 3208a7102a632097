"""Memory a refused Service Request body costs, for hostile shapes, against a floor measured in
the same run.

Each body is parsed once by `parse_request` (hardened parse, shape bounds, streaming schema
validation) in a fresh child process, which reports its peak RSS growth (VmHWM after
resetting it through /proc/self/clear_refs) and the RSS still held after the answer, both
over a baseline taken with the body already in memory and the schema loaded.
  floor  a valid SR 11.7 body of the same size (up to 16 MiB of DeviceIDs): what a body we
         accept costs, so what any body of that size may cost
  shapes one start tag with 200,000 attributes (issue #11's, 2.3 MB); one with as many
         namespace declarations; a flood of empty elements; a flood of distinct element
         names; elements of 30 attributes each; a list of GUIDs each invalid (a schema error
         per element); a valid list with one bad element at the very end; 30,000-deep nesting
Bars: every refused body at 2.3 MB peaks under 50 MB and holds under 50 MB afterwards; at
16 MiB none peaks above 1.2x the floor (a valid body of that size) and none holds more than
50 MB afterwards.

    .venv/bin/python bench/hostile_xml.py                # 2.3 MB and 16 MiB
    .venv/bin/python bench/hostile_xml.py --one attributes --bytes 2300000   # one, as JSON
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

SR = b'xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway"'
HEADER = (
    b"<sr:Header><sr:RequestID>90-B3-D5-1F-30-01-00-00:90-B3-D5-1F-30-00-00-02:1</sr:RequestID>"
    b"<sr:CommandVariant>8</sr:CommandVariant><sr:ServiceReference>11.7</sr:ServiceReference>"
    b"<sr:ServiceReferenceVariant>11.7</sr:ServiceReferenceVariant></sr:Header>"
)
GUID = b"<sr:DeviceID>00-DB-12-34-56-78-90-A0</sr:DeviceID>"
BAD_GUID = b"<sr:DeviceID>00-DB-12-34-56-78-90-ZZ</sr:DeviceID>"


def _instruction(items: bytes, size: int, tail: bytes = b"") -> bytes:
    head = (
        b"<sr:Request " + SR + b' schemaVersion="5.4">' + HEADER + b"<sr:Body>"
        b"<sr:InstructCHFirmwareDeployment><sr:CampaignID>CMP-000001</sr:CampaignID>"
        b"<sr:Stage>SafeLaunch</sr:Stage>"
        b"<sr:RequestedActivationDateTime>2026-06-01T00:00:00Z</sr:RequestedActivationDateTime>"
        b"<sr:DeviceIDList>"
    )
    end = b"</sr:DeviceIDList></sr:InstructCHFirmwareDeployment></sr:Body></sr:Request>"
    n = max(1, (size - len(head) - len(end) - len(tail)) // len(items))
    return head + items * n + tail + end


def _wrapped(content: bytes) -> bytes:
    return b"<sr:Request " + SR + b">" + content + b"</sr:Request>"


def _root_with(unit: Callable[[int], bytes], size: int, width: int) -> bytes:
    """A root start tag of about `size` bytes, its attributes about `width` bytes each."""
    return b"<sr:Request " + SR + b" " + b" ".join(unit(i) for i in range(size // width)) + b"/>"


SHAPES: dict[str, Callable[[int], bytes]] = {
    "valid (floor)": lambda size: _instruction(GUID, size),
    # 2.3 MB: issue #11's body, 200,000 attributes on the root (16 MiB: over a million).
    "attributes": lambda size: _root_with(lambda i: b'a%d="1"' % i, size, 11 if size < 3e6 else 14),
    "namespaces": lambda size: _root_with(lambda i: b'xmlns:p%d="u:%d"' % (i, i), size, 25),
    "empty elements": lambda size: _wrapped(b"<a/>" * (size // 4)),
    "element names": lambda size: _wrapped(b"".join(b"<n%07d/>" % i for i in range(size // 11))),
    "30 attributes each": lambda size: _instruction(
        b"<sr:DeviceID " + b" ".join(b'b%d="1"' % i for i in range(30)) + b">x</sr:DeviceID>",
        size,
    ),
    "invalid GUIDs": lambda size: _instruction(BAD_GUID, size),
    "bad last element": lambda size: _instruction(GUID, size, tail=b"<x/>"),
    "30,000 deep": lambda size: b"<a>" * 30_000 + b"</a>" * 30_000,
}


def _status(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    raise KeyError(key)


def one(shape: str, size: int) -> dict[str, object]:
    """Parse one body in this process; RSS figures in MB over the baseline."""
    from chfw_api.duis.errors import XmlRejected
    from chfw_api.duis.parser import parse_request
    from chfw_api.duis.schema import load_schema

    load_schema()
    with contextlib.suppress(XmlRejected):  # warm up: the thread's error watch, the parsers
        parse_request(b"<warm-up/>")
    body = SHAPES[shape](size)
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    base = _status("VmRSS")
    started = time.perf_counter()
    try:
        parse_request(body, max_bytes=16 * 1024 * 1024)
        code = "accepted"
    except XmlRejected as exc:
        code = exc.code
    elapsed = time.perf_counter() - started
    gc.collect()
    return {
        "shape": shape,
        "bytes": len(body),
        "code": code,
        "peak_mb": round(_status("VmHWM") - base, 1),
        "held_mb": round(max(0.0, _status("VmRSS") - base), 1),
        "ms": round(elapsed * 1000),
    }


def measure(shape: str, size: int) -> dict[str, object]:
    """`one` in a fresh child process, so nothing one body leaves behind colours the next."""
    out = subprocess.run(
        [sys.executable, __file__, "--one", shape, "--bytes", str(size)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, object] = json.loads(out)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--one", choices=sorted(SHAPES))
    parser.add_argument("--bytes", type=int, default=2_300_000)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.bytes)))
        return 0
    ok = True
    for size in (2_300_000, 16 * 1024 * 1024 - 4096):
        rows = [measure(shape, size) for shape in SHAPES]
        floor = float(rows[0]["peak_mb"])  # type: ignore[arg-type]
        print(f"\n{size / 1e6:.1f} MB bodies (floor: a valid one peaks at {floor} MB)")
        print(f"  {'shape':20} {'MB':>6} {'code':>9} {'peak MB':>8} {'held MB':>8} {'ms':>6}")
        for r in rows:
            peak, held = float(r["peak_mb"]), float(r["held_mb"])  # type: ignore[arg-type]
            refused = r["code"] != "accepted"
            bar = peak < 50 if size < 3_000_000 else peak <= max(50.0, 1.2 * floor)
            good = not refused or (bar and held < 50)
            ok &= good and (refused or r["shape"] == "valid (floor)")
            print(
                f"  {r['shape']:20} {int(r['bytes']) / 1e6:6.1f} {r['code']:>9} {peak:8.1f}"  # type: ignore[call-overload]
                f" {held:8.1f} {r['ms']:6}  {'ok' if good else 'OVER THE BAR'}"
            )
    print("\nall refused bodies within the bars" if ok else "\nsome body is over its bar")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
