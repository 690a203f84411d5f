"""The unit of work on SQLite and PostgreSQL: one transaction on a connection, driver
statements (`uow.raw`) and the ORM session (`uow.session`, made on first use) inside it,
committed together or not at all, and no session made when none is asked for."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tocsin.alerts.items import Item
from tocsin.audit.verify import verify
from tocsin.auth.models import Customer
from tocsin.bootstrap import Tocsin
from tocsin.core.errors import Conflict
from tocsin.core.events import Actor
from tocsin.db.counters import Counter
from tocsin.integrations.base import AlertAction, NormalizedAlert

from .conftest import Org
from .test_alert_pipeline import integration

SYSTEM = Actor.system("test")


def _counter(app: Tocsin, name: str = "incident") -> int:
    with app.db.read() as s:
        return s.scalars(select(Counter.value).where(Counter.name == name)).one()


def _customers(app: Tocsin) -> set[str]:
    with app.db.read() as s:
        return set(s.scalars(select(Customer.slug)))


def _customer(slug: str, app: Tocsin) -> Customer:
    return Customer(slug=slug, name=slug.title(), created_at=app.clock.now())


def test_driver_and_orm_writes_commit_together(app: Tocsin) -> None:
    before = _counter(app)
    with app.db.unit_of_work() as uow:
        uow.raw.run("UPDATE counters SET value = value + 5 WHERE name = 'incident'")
        uow.session.add(_customer("initech", app))
        uow.record("customer.created", "customer", "initech", actor=SYSTEM, customer_id=None)
    assert _counter(app) == before + 5
    assert "initech" in _customers(app)
    assert verify(app.db, key=app.audit_key).problem is None


def test_a_failed_flush_rolls_back_the_driver_writes_before_it(app: Tocsin) -> None:
    """A unique value taken meanwhile (here: a slug the service did not check) is a
    conflict the caller can act on (409 over HTTP), and nothing of the transaction stays."""
    before, customers = _counter(app), _customers(app)
    existing = sorted(customers)[0]

    def change() -> None:
        with app.db.unit_of_work() as uow:
            uow.raw.run("UPDATE counters SET value = value + 5 WHERE name = 'incident'")
            uow.session.add(_customer(existing, app))  # the slug is unique
            uow.session.flush()

    with pytest.raises(Conflict, match="same moment") as raised:
        change()
    assert isinstance(raised.value.__cause__, IntegrityError)
    assert _counter(app) == before
    assert _customers(app) == customers


def test_an_error_after_driver_writes_rolls_them_back(app: Tocsin) -> None:
    before = _counter(app)

    def change() -> None:
        with app.db.unit_of_work() as uow:
            uow.raw.run("UPDATE counters SET value = value + 5 WHERE name = 'incident'")
            uow.record("customer.created", "customer", "x", actor=SYSTEM, customer_id=None)
            raise RuntimeError("the caller changed its mind")

    with pytest.raises(RuntimeError):
        change()
    assert _counter(app) == before
    assert verify(app.db, key=app.audit_key).problem is None


def test_the_session_and_raw_share_one_transaction_either_way_round(app: Tocsin) -> None:
    """Whichever is asked for first, `Raw.of(uow.session)` is the unit of work's own raw."""
    from tocsin.db.raw import Raw

    with app.db.unit_of_work() as uow:
        session = uow.session
        assert Raw.of(session) is uow.raw
    with app.db.unit_of_work() as uow:
        raw = uow.raw
        assert Raw.of(uow.session) is raw
        uow.session.add(_customer("hooli", app))
        uow.session.flush()  # the ORM's insert, seen by the driver's cursor
        assert raw.one("SELECT count(*) FROM customers WHERE slug = 'hooli'") == (1,)


def test_a_unit_of_work_is_used_inside_its_block_only(app: Tocsin) -> None:
    uow = app.db.unit_of_work()
    with pytest.raises(RuntimeError, match="inside its `with` block"):
        _ = uow.raw
    with uow:
        pass
    with pytest.raises(RuntimeError, match="inside its `with` block"):
        _ = uow.session


def test_a_batch_of_new_alerts_is_written_without_an_orm_session(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hot path stays on the driver: an ORM session's own bookkeeping (its transaction,
    identity map, flush and close) is work a batch of inserts does not need. Resolves use
    the ORM, and get one."""
    made: list[Any] = []
    real_init = Session.__init__

    def counting_init(self: Session, *args: Any, **kwargs: Any) -> None:
        bind = args[0] if args else kwargs.get("bind")
        if bind is not org.app.db.engine:  # not a read (those bind the engine itself)
            made.append(bind)
        real_init(self, *args, **kwargs)

    ref = integration(org)
    monkeypatch.setattr(Session, "__init__", counting_init)
    triggers = [
        Item(ref, NormalizedAlert(action=AlertAction.TRIGGER, dedup_key=f"k{i}", summary="x"))
        for i in range(5)
    ]
    outcomes = org.app.alerts.ingest(triggers)
    assert [o.result for o in outcomes] == ["created"] * 5
    assert made == []
    resolve = Item(ref, NormalizedAlert(action=AlertAction.RESOLVE, dedup_key="k0"))
    assert [o.result for o in org.app.alerts.ingest([resolve])] == ["resolved"]
    assert len(made) == 1


def test_sqlite_units_of_work_share_one_kept_connection(app: Tocsin) -> None:
    """SQLite's writers take turns anyway: they share one connection and its cursor,
    kept open between transactions. PostgreSQL's take one each from the pool."""
    with app.db.unit_of_work() as first:
        connection, raw = first.connection, first.raw
    with app.db.unit_of_work() as second:
        same = second.connection is connection and second.raw is raw
    assert same == (app.db.dialect == "sqlite")
    assert not connection.closed or app.db.dialect != "sqlite"


def test_a_failed_unit_of_work_leaves_the_next_one_a_clean_transaction(app: Tocsin) -> None:
    before = _counter(app)

    def change() -> None:
        with app.db.unit_of_work() as uow:
            uow.raw.run("UPDATE counters SET value = value + 5 WHERE name = 'incident'")
            raise RuntimeError("the caller changed its mind")

    with pytest.raises(RuntimeError):
        change()
    with app.db.unit_of_work() as uow:
        uow.raw.run("UPDATE counters SET value = value + 1 WHERE name = 'incident'")
    assert _counter(app) == before + 1


def test_a_unit_of_work_inside_another_is_refused_on_sqlite(app: Tocsin) -> None:
    """One writer at a time: SQLite would wait for itself for its whole busy timeout."""
    if app.db.dialect != "sqlite":
        pytest.skip("PostgreSQL's units of work are independent transactions")
    before = _counter(app)
    with app.db.unit_of_work() as outer:
        outer.raw.run("UPDATE counters SET value = value + 1 WHERE name = 'incident'")
        with pytest.raises(RuntimeError, match="inside another"), app.db.unit_of_work():
            pass
    assert _counter(app) == before + 1  # the outer one was not disturbed
