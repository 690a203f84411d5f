"""The `tocsin` command as a user types it (in-process, against a real database)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tocsin.cli.main import app as cli

runner = CliRunner()


@pytest.fixture
def tocsin(database_url: str):  # type: ignore[no-untyped-def]
    env = {
        "TOCSIN_DATABASE_URL": database_url,
        "TOCSIN_LOG_FORMAT": "text",
        "TOCSIN_SECRET_KEY": "cli-test",
        "COLUMNS": "200",
    }

    def run(*args: str, stdin: str | None = None, code: int = 0) -> str:
        result = runner.invoke(cli, list(args), env=env, input=stdin)
        assert result.exit_code == code, f"{args}: {result.output}"
        return result.output

    return run


def test_users_tokens_and_incidents_from_the_terminal(tocsin) -> None:  # type: ignore[no-untyped-def]
    tocsin("db", "upgrade")
    assert "current" in tocsin("db", "current")
    tocsin(
        "user",
        "create",
        "ops@example.com",
        "--role",
        "agent",
        "--time-zone",
        "Europe/Berlin",
        "--password-stdin",
        stdin="a very long password\n",
    )
    out = tocsin("user", "create", "ops@example.com", "--role", "agent", code=1)
    assert "This e-mail address is already in use." in out
    out = tocsin("user", "create", "x@example.com", "--role", "wizard", code=2)
    assert "wizard" in out
    token = tocsin("token", "create", "ops@example.com", "--name", "ci").strip().splitlines()[-1]
    assert token.startswith("tcn_")
    number = (
        tocsin(
            "incident",
            "create",
            "--title",
            "Mail queue stuck",
            "--impact",
            "1",
            "--urgency",
            "2",
            "--as",
            "ops@example.com",
        )
        .strip()
        .splitlines()[-1]
    )
    assert number == "INC0001001"
    assert "Mail queue stuck" in tocsin("incident", "list")
    tocsin("incident", "acknowledge", number, "--as", "ops@example.com")
    tocsin("incident", "note", number, "Queue drained", "--as", "ops@example.com")
    out = tocsin("incident", "close", number, code=1)
    assert "Actions allowed from this state" in out
    tocsin(
        "incident",
        "resolve",
        number,
        "--code",
        "solved_permanently",
        "--notes",
        "Restarted postfix",
    )
    shown = tocsin("incident", "show", number, "--as", "ops@example.com")
    assert "resolved" in shown
    assert " CET" in shown or " CEST" in shown  # the acting user's zone: Europe/Berlin
    timeline = tocsin("incident", "timeline", number)
    assert "acknowledge" in timeline
    assert "resolve" in timeline
    assert "Audit chain intact" in tocsin("audit", "verify")


def test_audit_verify_fails_on_tampering(tocsin, database_url: str) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from tocsin.db.engine import build_engine

    tocsin("user", "create", "a@example.com", "--role", "admin")
    tocsin("incident", "create", "--title", "one")
    tocsin("incident", "create", "--title", "two")
    engine = build_engine(database_url, pool_size=1)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"))
    engine.dispose()
    out = tocsin("audit", "verify", code=1)
    assert "BROKEN at entry 2" in out


def test_password_stdin_takes_off_the_line_ending_only(tocsin, database_url: str) -> None:  # type: ignore[no-untyped-def]
    from tocsin.bootstrap import build
    from tocsin.core.clock import FrozenClock
    from tocsin.core.errors import NotAuthenticated
    from tocsin.settings import Settings

    tocsin(
        "user",
        "create",
        "ops@example.com",
        "--role",
        "agent",
        "--password-stdin",
        stdin="  spaced secret words  \n",
    )
    out = tocsin(
        "user",
        "create",
        "weak@example.com",
        "--role",
        "agent",
        "--password-stdin",
        stdin="Iloveyou1\n",
        code=2,
    )
    assert "10,000 most common" in out
    app = build(
        Settings(database_url=database_url, secret_key="cli-test", engine_enabled=False),
        clock=FrozenClock(),
    )
    try:
        principal = app.auth.login("ops@example.com", "  spaced secret words  ", source="cli")
        assert principal.email == "ops@example.com"
        with pytest.raises(NotAuthenticated):
            app.auth.login("ops@example.com", "spaced secret words", source="cli")
    finally:
        app.dispose()


def test_integration_create_prints_the_key_last(tocsin) -> None:  # type: ignore[no-untyped-def]
    key = tocsin("integration", "create", "alertmanager", "prom").strip().splitlines()[-1]
    assert len(key) == 32
    listed = tocsin("integration", "list")
    assert "alertmanager" in listed
    assert key[:6] in listed
    assert key not in listed  # only the prefix is ever shown again
    out = tocsin("integration", "create", "nagios", "x", code=2)
    assert "unknown type" in out


def test_heartbeat_create_takes_its_interval(tocsin) -> None:  # type: ignore[no-untyped-def]
    tocsin("db", "upgrade")
    out = tocsin("integration", "create", "heartbeat", "backup", "--interval", "1h")
    key = out.strip().splitlines()[-1]
    assert f"Ping URL: http://127.0.0.1:8000/api/v1/heartbeats/{key}" in out
    out = tocsin("integration", "create", "heartbeat", "no-interval", code=1)
    assert "needs config.interval_minutes" in out
    out = tocsin("integration", "create", "heartbeat", "x", "--interval", "8d", code=2)
    assert "--interval" in out
    out = tocsin("integration", "create", "heartbeat", "x", "--interval", "5 s", code=2)
    assert "not a duration" in out


def _app_on(database_url: str):  # type: ignore[no-untyped-def]
    from tocsin.bootstrap import build
    from tocsin.core.clock import FrozenClock
    from tocsin.settings import Settings

    return build(
        Settings(database_url=database_url, secret_key="cli-test", engine_enabled=False),
        clock=FrozenClock(),
    )


def test_demo_loads_once_and_names_only_accounts_that_sign_in(tocsin, database_url: str) -> None:  # type: ignore[no-untyped-def]
    from tocsin.auth.principal import system_principal
    from tocsin.auth.schemas import UserPatch
    from tocsin.auth.service import default_customer
    from tocsin.demo.people import DEMO_PASSWORD, PEOPLE

    first = tocsin("demo", "--incidents", "0")
    assert "Loaded the demo data" in first
    assert all(p.email in first for p in PEOPLE)
    app = _app_on(database_url)
    try:
        with app.db.read() as session:
            admin = system_principal(default_customer_id=default_customer(session).id)
        app.auth.patch_user(admin, "aisha.khan@northwind.example", UserPatch(active=False))
    finally:
        app.dispose()

    second = tocsin("demo", "--incidents", "0")

    assert "The demo data is already loaded: `tocsin demo` loaded it on " in second
    assert DEMO_PASSWORD in second
    assert "aisha.khan@" not in second
    assert "morgan.reyes@northwind.example" in second
    assert "Loaded the demo data" not in second


def test_demo_beside_a_customer_named_acme_refuses_in_a_sentence(tocsin, database_url: str) -> None:  # type: ignore[no-untyped-def]
    from tocsin.auth.principal import system_principal
    from tocsin.auth.schemas import CustomerIn
    from tocsin.auth.service import default_customer

    app = _app_on(database_url)
    try:
        with app.db.read() as session:
            admin = system_principal(default_customer_id=default_customer(session).id)
        app.auth.create_customer(admin, CustomerIn(slug="acme", name="Our own Acme"))
    finally:
        app.dispose()

    out = tocsin("demo", "--incidents", "0", code=1)

    assert "it would create customer acme, which already exists here" in out
    assert "already loaded" not in out
    assert "tocsin-demo" not in out  # no accounts to sign in with
    assert "Traceback" not in out


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["worker"],
        ["db"],
        ["user", "create"],
        ["token", "create"],
        ["incident"],
        ["incident", "resolve"],
        ["audit", "verify"],
        ["integration", "create"],
        ["demo"],
        ["oncall"],
    ],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = runner.invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_audit_verify_checks_anchors_kept_off_the_host(tocsin, database_url: str) -> None:  # type: ignore[no-untyped-def]
    """An anchor (SEQ:HASH noted elsewhere) catches what nothing in the database can: the
    newest entries removed with the head reset to match, and no checkpoint after them."""
    from sqlalchemy import text

    from tocsin.db.engine import build_engine

    tocsin("incident", "create", "--title", "one")
    tocsin("incident", "create", "--title", "two")
    engine = build_engine(database_url, pool_size=1)
    with engine.connect() as connection:
        seq, digest = connection.execute(text("SELECT seq, hash FROM audit_head")).one()
    out = tocsin("audit", "verify", "--anchor", f"{seq}:{digest}")
    assert "1 anchor checked" in out
    assert "No checkpoint yet" in out
    tocsin("incident", "create", "--title", "three")
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE seq >= :seq"), {"seq": seq})
        connection.execute(
            text(
                "UPDATE audit_head SET seq = :seq, hash = "
                "(SELECT hash FROM audit_log WHERE seq = :seq)"
            ),
            {"seq": seq - 1},
        )
    engine.dispose()
    assert "Audit chain intact" in tocsin("audit", "verify")
    out = tocsin("audit", "verify", "--anchor", f"{seq}:{digest}", code=1)
    assert f"BROKEN at entry {seq}: entries after {seq - 1} were removed" in out
    out = tocsin("audit", "verify", "--anchor", f"{seq - 1}:{'0' * 64}", code=1)
    assert f"BROKEN at entry {seq - 1}" in out
    out = tocsin("audit", "verify", "--anchor", "12", code=2)
    assert "SEQ:HASH" in out


def test_audit_verify_names_the_newest_checkpoint_to_keep_as_an_anchor(  # type: ignore[no-untyped-def]
    tocsin, database_url: str
) -> None:
    from datetime import timedelta

    from tocsin.audit.checkpoints import write_checkpoint
    from tocsin.bootstrap import build
    from tocsin.settings import Settings

    tocsin("incident", "create", "--title", "one")
    app = build(Settings(database_url=database_url, secret_key="cli-test", engine_enabled=False))
    try:
        write_checkpoint(app.db, key=app.audit_key, clock=app.clock, every=timedelta(minutes=10))
    finally:
        app.dispose()
    out = tocsin("audit", "verify")
    assert "1 checkpoint, 0 anchors checked" in out
    anchor = out.strip().splitlines()[-1].split()[-1]
    assert "Newest checkpoint: 1" in out
    assert "Audit chain intact" in tocsin("audit", "verify", "--anchor", anchor)
    # the key is the one the chain was written with: another secret cannot verify it
    result = runner.invoke(
        cli,
        ["audit", "verify"],
        env={"TOCSIN_DATABASE_URL": database_url, "TOCSIN_SECRET_KEY": "another secret"},
    )
    assert result.exit_code == 1
    assert "this key is not the one the chain was written with" in result.output


def test_a_token_name_the_api_would_refuse_is_refused(tocsin) -> None:  # type: ignore[no-untyped-def]
    """The CLI applies the API's rules: on PostgreSQL a name past its column was a crash."""
    tocsin("db", "upgrade")
    tocsin("user", "create", "ops@example.com", "--role", "agent")
    out = tocsin("token", "create", "ops@example.com", "--name", "n" * 500, code=2)
    assert "--name" in out
    assert "100 characters" in out
    out = tocsin("token", "create", "ops@example.com", "--name", "\u200b\u2060", code=2)
    assert "visible" in out


def test_oncall_prints_who_is_on_call(tocsin, database_url: str) -> None:  # type: ignore[no-untyped-def]
    from tocsin.auth.principal import system_principal
    from tocsin.auth.service import default_customer
    from tocsin.oncall.schemas import ScheduleIn

    tocsin("user", "create", "night@example.com", "--role", "agent")
    tocsin("user", "create", "day@example.com", "--role", "agent")
    app = _app_on(database_url)
    try:
        with app.db.read() as session:
            admin = system_principal(default_customer_id=default_customer(session).id)
        app.oncall.create_schedule(
            admin,
            ScheduleIn.model_validate(
                {
                    "name": "Primary",
                    "slug": "primary",
                    "time_zone": "Europe/Berlin",
                    "layers": [
                        {
                            "name": "days",
                            "start": "2026-03-02T08:00:00+01:00",
                            "rotation": "daily",
                            "users": ["day@example.com", "night@example.com"],
                        }
                    ],
                }
            ),
        )
    finally:
        app.dispose()
    out = tocsin("oncall", "--schedule", "primary", "--at", "2026-03-03T12:00:00+01:00")
    assert "night@example.com" in out
    assert "day@example.com" not in out
    assert "2026-03-03 08:00 CET" in out
    assert "2026-03-04 08:00 CET" in out
    assert "nobody" in tocsin("oncall", "--at", "2026-03-01T12:00:00Z")
    assert "There is no schedule 'nope'." in tocsin("oncall", "--schedule", "nope", code=1)
    assert "not an ISO 8601 time" in tocsin("oncall", "--at", "tomorrow", code=2)


def test_change_add_and_list(tocsin) -> None:  # type: ignore[no-untyped-def]
    tocsin("db", "upgrade")
    out = tocsin(
        "change",
        "add",
        "--summary",
        "Deployed api 3.1",
        "--source",
        "jenkins",
        "--link",
        "https://ci.example/job/42",
        "--at",
        "2026-03-02T09:00:00+01:00",
    )
    assert out.strip().splitlines()[-1].isdigit()
    tocsin("change", "add", "--summary", "Rotated keys")
    out = tocsin("change", "list", "--since", "2026-03-02T07:30:00Z")
    assert "Deployed api 3.1" in out
    assert "2026-03-02 08:00 UTC" in out
    assert "jenkins" in out
    out = tocsin("change", "add", "--summary", "x", "--service", "no-such", code=1)
    assert "no-such" in out
    out = tocsin("change", "add", "--summary", "x", "--link", "javascript:alert(1)", code=2)
    assert "link" in out
