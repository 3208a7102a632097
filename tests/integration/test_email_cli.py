"""`chfw email` and the sample estate's contacts (issue #14)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from chfw_api.bootstrap import Container
from chfw_api.cli import app
from tests.conftest import wipe

runner = CliRunner()


def test_sample_parties_bring_a_contact_each_and_the_cli_manages_them(
    tmp_path: Path, database_url: str, container: Container
) -> None:
    wipe(container.engine)
    db = ["--database-url", database_url]
    r = runner.invoke(
        app, ["sample-estate", "--hubs", "200", "--suppliers", "3", "--out", str(tmp_path)]
    )
    assert r.exit_code == 0, r.output
    parties = json.loads((tmp_path / "parties.json").read_text())
    supplier = parties["suppliers"][0]
    assert supplier["email_contacts"][0]["address"].endswith(".example")
    r = runner.invoke(app, ["parties", "load", str(tmp_path / "parties.json"), *db])
    assert r.exit_code == 0 and "3 email contacts" in r.output, r.output
    r = runner.invoke(app, ["parties", "load", str(tmp_path / "parties.json"), *db])
    assert "0 parties registered, 0 email contacts" in r.output  # idempotent

    code = supplier["user_id"]
    r = runner.invoke(app, ["email", "add-contact", code, "ops@x.example", "--notice", "N81", *db])
    assert r.exit_code == 0 and "gets N81" in r.output, r.output
    r = runner.invoke(app, ["email", "add-contact", code, "not an address", *db])
    assert r.exit_code == 1 and "not an address" in r.output
    r = runner.invoke(app, ["email", "contacts", code, *db])
    assert r.exit_code == 0 and "ops@x.example" in r.output
    assert supplier["email_contacts"][0]["address"] in r.output
    contact_id = next(ln.split()[0] for ln in r.output.splitlines() if "ops@x.example" in ln)
    r = runner.invoke(app, ["email", "remove-contact", code, contact_id, *db])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["email", "dead-letters", *db])
    assert r.exit_code == 0
    r = runner.invoke(app, ["email", "replay", *db])
    assert r.exit_code == 0 and "0 emails due again" in r.output
