"""`tocsin report` in a terminal: table, CSV and JSON, and a refusal in a sentence."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tocsin.cli.main import app as cli

runner = CliRunner()


def test_report_in_a_terminal(database_url: str) -> None:
    env = {
        "TOCSIN_DATABASE_URL": database_url,
        "TOCSIN_LOG_FORMAT": "text",
        "TOCSIN_SECRET_KEY": "cli-test",
        "COLUMNS": "200",
    }

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli, list(args), env=env)
        assert result.exit_code == code, f"{args}: {result.output}"
        return result.output

    run("incident", "create", "--title", "Disk full")
    table = run("report", "backlog")
    assert "backlog:" in table
    lines = table.splitlines()
    assert lines[-1].split() == ["total", "1"]
    assert "<1d" in table
    csv_text = run("report", "backlog", "--format", "csv")
    assert csv_text.splitlines() == [
        "age,count",
        "<1d,1",
        "1-3d,0",
        "3-7d,0",
        "7-30d,0",
        ">30d,0",
        "total,1",
    ]
    answer = json.loads(run("report", "volume", "--period", "last-7-days", "--format", "json"))
    assert answer["total"] == {"count": 1}
    assert answer["filters"]["period"] == "last-7-days"
    refused = run("report", "mttr", "--by", "colour", code=1)
    assert "cannot be grouped by 'colour'" in refused
    assert "There is no report 'mtbf'" in run("report", "mtbf", code=1)
