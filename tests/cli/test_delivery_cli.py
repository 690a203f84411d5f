"""`tocsin delivery list` and `tocsin delivery retry` against a real database and a real
receiver that refuses the first attempt."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from tests.delivery_sink import running_sink
from tocsin.auth.principal import system_principal
from tocsin.auth.roles import Role
from tocsin.auth.schemas import UserIn
from tocsin.auth.service import default_customer
from tocsin.bootstrap import build
from tocsin.cli.main import app as cli
from tocsin.notifications.models import Delivery
from tocsin.notifications.schemas import ContactMethodIn
from tocsin.settings import Settings

runner = CliRunner()


def test_failed_deliveries_are_listed_and_retried(database_url: str) -> None:
    env = {
        "TOCSIN_DATABASE_URL": database_url,
        "TOCSIN_LOG_FORMAT": "text",
        "TOCSIN_SECRET_KEY": "cli-test",
        "TOCSIN_OUTBOUND_ALLOW": "127.0.0.1",
        "COLUMNS": "200",
    }
    settings = Settings(
        database_url=database_url,
        secret_key="cli-test",
        engine_enabled=False,
        outbound_allow="127.0.0.1",
    )
    app = build(settings)
    with running_sink() as sink:
        try:
            with app.db.read() as s:
                admin = system_principal(default_customer_id=default_customer(s).id)
            user = app.auth.create_user(admin, UserIn(email="oncall@example.com", role=Role.AGENT))
            app.contacts.create_method(
                admin,
                user.email,
                ContactMethodIn(type="webhook", address=sink.url("/hook")),  # type: ignore[arg-type]
            )
            sink.script("/hook", 400)
            with app.db.unit_of_work() as uow:
                (delivery_id,) = app.deliveries.page_user(
                    uow,
                    user_id=user.id,
                    message={"topic": "incident.created", "subject": "Disk full"},
                    incident_id=None,
                    priority=1,
                    dedupe_prefix="cli",
                    at=app.clock.now(),
                )
            app.deliveries.send_due()

            listed = runner.invoke(cli, ["delivery", "list", "--status", "failed"], env=env)
            assert listed.exit_code == 0, listed.output
            assert delivery_id in listed.output
            assert "failed" in listed.output
            nothing = runner.invoke(cli, ["delivery", "list", "--status", "pending"], env=env)
            assert delivery_id not in nothing.output
            bad = runner.invoke(cli, ["delivery", "list", "--status", "lost"], env=env)
            assert bad.exit_code == 2

            retried = runner.invoke(cli, ["delivery", "retry", delivery_id], env=env)
            assert retried.exit_code == 0, retried.output
            again = runner.invoke(cli, ["delivery", "retry", delivery_id], env=env)
            assert again.exit_code == 1
            assert "only a failed delivery" in again.output
            app.deliveries.send_due()
            with app.db.read() as s:
                row = s.scalar(select(Delivery).where(Delivery.id == delivery_id))
                assert row is not None
                assert row.status == "delivered"
            assert [r.headers["webhook-id"] for r in sink.at("/hook")] == [delivery_id] * 2
        finally:
            app.dispose()
