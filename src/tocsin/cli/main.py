"""Entry point of the `tocsin` command."""

from __future__ import annotations

import typer

from tocsin.cli import (
    audit,
    change,
    db,
    delivery,
    demo,
    imports,
    incident,
    integration,
    oncall,
    report,
    serve,
    token,
    user,
)

app = typer.Typer(
    name="tocsin",
    help="Tocsin: self-hosted incident management. Configure with TOCSIN_* variables "
    "or a TOML file named by TOCSIN_CONFIG.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("serve")(serve.serve)
app.command("worker")(serve.worker)
app.add_typer(db.app, name="db")
app.add_typer(user.app, name="user")
app.add_typer(token.app, name="token")
app.add_typer(incident.app, name="incident")
app.add_typer(integration.app, name="integration")
app.add_typer(audit.app, name="audit")
app.add_typer(delivery.app, name="delivery")
app.command("demo")(demo.demo)
app.command("oncall")(oncall.oncall)
app.add_typer(imports.app, name="import")
app.add_typer(change.app, name="change")
app.command("report")(report.report)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
