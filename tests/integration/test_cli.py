"""The CLI path `make run` takes: sample estate -> parties -> inventory import, on each backend."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from chfw_api.bootstrap import Container
from chfw_api.cli import app
from tests.conftest import wipe

runner = CliRunner()


def test_sample_estate_loads_and_reimports(
    tmp_path: Path, database_url: str, container: Container
) -> None:
    wipe(container.engine)
    db = ["--database-url", database_url]
    r = runner.invoke(
        app, ["sample-estate", "--hubs", "3000", "--suppliers", "5", "--out", str(tmp_path)]
    )
    assert r.exit_code == 0, r.output
    keys = tmp_path / "keys.json"
    r = runner.invoke(
        app, ["parties", "load", str(tmp_path / "parties.json"), "--keys-file", str(keys), *db]
    )
    assert r.exit_code == 0, r.output
    issued = json.loads(keys.read_text())
    assert len(issued) == 1 + 5 + 3 and all(k.startswith("chfw_") for k in issued.values())
    assert keys.stat().st_mode & 0o077 == 0
    # Loading again registers nothing new and keeps the keys.
    r = runner.invoke(
        app, ["parties", "load", str(tmp_path / "parties.json"), "--keys-file", str(keys), *db]
    )
    assert r.exit_code == 0 and "0 parties registered" in r.output
    r = runner.invoke(app, ["inventory", "import", str(tmp_path / "hubs.csv"), *db])
    assert r.exit_code == 0, r.output
    assert "3,000 rows: 3,000 created, 0 updated" in r.output
    r = runner.invoke(app, ["inventory", "import", str(tmp_path / "hubs.csv"), *db])
    assert "3,000 rows: 0 created, 3,000 updated" in r.output


def test_cli_import_of_bad_file_exits_nonzero_naming_rows(
    tmp_path: Path, database_url: str, container: Container
) -> None:
    # covers: X5
    wipe(container.engine)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "DeviceID,DeviceManufacturer,DeviceModel,DeviceFirmwareVersion,DeviceStatus,CSPRegion\n"
        "00-11-22-33-44-55-66-77,A,M,1,Commissioned,North\n"
        "zz,A,M,1,Commissioned,North\n"
    )
    r = runner.invoke(app, ["inventory", "import", str(bad), "--database-url", database_url])
    assert r.exit_code == 1
    assert "line 3" in r.output and "DeviceID" in r.output
    with container.uow() as uow:
        assert uow.hubs.count() == 0
