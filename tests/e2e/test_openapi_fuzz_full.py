"""Schemathesis with every check, positive and negative data, and the stateful phase, against the
real server over HTTP: once as DCC and once as supplier A (supplier B as its peer, so
`object_level_authorization` asks whether B can read what A can).

No operation is excluded and no check is switched off. The one piece of tuning is the spec's
own: an operation whose input is checked beyond its JSON Schema (clock-relative dates, state,
or a document such as an SR's XML or a CSV) lists those rules in `x-chfw-rules`; for those
operations a 422 (a DUIS 400 for a document body) to schema-valid input is expected, and
`refusals_name_documented_rules` (tests/e2e/fuzz_hooks.py) makes sure such a refusal names a
documented rule and not a schema the server does not really accept.

Reproduce a run by hand (it prints the command): `CHFW_FUZZ_KEEP=1` keeps the work directory.
Cost: about a minute per run on two cores; FUZZ_EXAMPLES tunes it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chfw_api.config import PROJECT_ROOT
from tests.e2e.fuzz_world import DCC_ID, World, build_world, serve

SCHEMA = PROJECT_ROOT / "openapi" / "openapi.json"
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
STATEFUL_SCENARIOS = int(os.environ.get("FUZZ_SCENARIOS", "40"))
STATEFUL_STEPS = 12
SEED = 20260105
POSITIVE_ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]  # the default
METHODS = ("get", "put", "post", "delete", "patch")


def _toml(value: Any) -> str:
    return json.dumps(value)  # TOML strings and arrays of strings are JSON's


def config_text(spec: dict[str, Any], world: World, wfc: Path | None) -> str:
    """schemathesis.toml: the hooks, the world's resources (half of the drawn path values name
    one, so requests get past 404 to the rules), the peers, and the operations' rules."""
    lines = ['hooks = "tests.e2e.fuzz_hooks"', ""]
    lines += ["[phases.stateful]", f"max-steps = {STATEFUL_STEPS}", ""]
    lines += ["[phases.stateful.generation]", f"max-examples = {STATEFUL_SCENARIOS}", ""]
    known: dict[str, list[Any]] = {
        "campaign_id": [world.campaign_id],
        "guid": [world.hub_a, world.hub_b],
        "endpoint_id": [world.endpoint_a],
        "release_id": [world.release_id],
        "code": sorted(world.codes.values()),
        "key_id": sorted(world.key_ids.values()),
    }
    for name, values in known.items():
        lines += [f"[dictionaries.{name}]", f"values = {_toml(values)}", ""]
    lines.append("[parameters]")
    for name in known:
        lines.append(f'"path.{name}" = {{ dictionary = "{name}", probability = 0.5 }}')
    lines.append("")
    if wfc is not None:
        lines += [
            "[auth.wfc]",
            f"path = {_toml(str(wfc))}",
            'user = "supplier_a"',
            'peers = ["supplier_a", "supplier_b"]',
            "",
        ]
    for path, item in sorted(spec["paths"].items()):
        for method, op in item.items():
            rules = op.get("x-chfw-rules") if method in METHODS else None
            if not rules:
                continue
            refused = ["400", "422"] if "body" in rules else ["422"]
            lines += [
                "[[operations]]",
                f"include-name = {_toml(f'{method.upper()} {path}')}",  # one include: OR
                "[operations.checks.positive_data_acceptance]",
                f"expected-statuses = {_toml(POSITIVE_ACCEPTED + refused)}",
                "",
            ]
    return "\n".join(lines)


def _wfc(work: Path, world: World) -> Path:
    def user(name: str) -> dict[str, Any]:
        value = f"Bearer {world.keys[name]}"
        return {"name": name, "fixedHeaders": [{"name": "Authorization", "value": value}]}

    path = work / "wfc-auth.json"
    path.write_text(json.dumps({"auth": [user("supplier_a"), user("supplier_b")]}))
    return path


@pytest.fixture
def work() -> Iterator[Path]:
    if os.environ.get("CHFW_FUZZ_KEEP"):
        yield Path(tempfile.mkdtemp(prefix="chfw-fuzz-"))
        return
    with tempfile.TemporaryDirectory(prefix="chfw-fuzz-") as name:
        yield Path(name)


def run_schemathesis(
    work: Path, world: World, url: str, as_: str
) -> subprocess.CompletedProcess[str]:
    spec = json.loads(SCHEMA.read_text())
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    wfc = None
    if as_ == "dcc":
        env |= {
            "CHFW_FUZZ_DATABASE_URL": str(world.container.settings.database_url),
            "CHFW_FUZZ_PARTY": DCC_ID,
            "CHFW_FUZZ_KEY": world.keys["dcc"],
        }
    else:
        wfc = _wfc(work, world)
    config = work / "schemathesis.toml"
    config.write_text(config_text(spec, world, wfc))
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(config),
        "run",
        str(SCHEMA),
        "--url",
        url,
        "--checks",
        "all",
        "--mode",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--suppress-health-check",
        "filter_too_much,too_slow,data_too_large,large_base_example",
        "--report-dir",
        str(work / "report"),
    ]
    print("$", " ".join(command))
    return subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=900
    )


@pytest.mark.parametrize("as_", ["dcc", "supplier"])
def test_schemathesis_finds_nothing(work: Path, as_: str) -> None:
    world = build_world(work)
    try:
        with serve(world) as url:
            done = run_schemathesis(work, world, url, as_)
    finally:
        world.container.dispose()
    (work / "schemathesis.out").write_text(done.stdout + done.stderr)
    print(done.stdout[done.stdout.rfind("SUMMARY") - 40 :])
    assert done.returncode == 0, done.stdout[-30_000:] + done.stderr[-5_000:]
