"""`tocsin import servicenow-csv` as an administrator types it."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from tests.servicenow_sample import handcrafted, write_csv
from tocsin.cli.main import app as cli

runner = CliRunner()


def test_import_prints_progress_and_a_summary_and_runs_once(
    database_url: str, tmp_path: Path
) -> None:
    env = {
        "TOCSIN_DATABASE_URL": database_url,
        "TOCSIN_LOG_FORMAT": "text",
        "TOCSIN_SECRET_KEY": "cli-test",
        "COLUMNS": "200",
    }
    path = write_csv(tmp_path / "log.csv", handcrafted())

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli, ["import", "servicenow-csv", *args], env=env)
        assert result.exit_code == code, result.output
        return result.output

    dry = run(str(path), "--dry-run")
    assert "Dry run: nothing was written" in dry
    out = run(str(path), "--time-zone", "Europe/Berlin")
    assert "Reading rows" in out
    assert "Writing incidents" in out
    assert "Import finished" in out
    assert re.search(r"Incidents created\s+3\b", out)
    assert re.search(r"skipped: wrong number of columns\s+1\b", out)
    again = run(str(path))
    assert re.search(r"Incidents already present\s+3\b", again)
    assert re.search(r"Incidents created\s+0\b", again)
    assert "no file" in run(str(tmp_path / "missing.csv"), code=2)
    assert "there is no user" in run(str(path), "--as", "nobody@example.com", code=1)


def test_import_has_help() -> None:
    result = runner.invoke(cli, ["import", "servicenow-csv", "--help"])
    assert result.exit_code == 0
    assert "--time-zone" in result.output
    assert "--dry-run" in result.output
