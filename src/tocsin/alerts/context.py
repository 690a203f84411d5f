"""What every step of the alert path shares: the incident actions and priority matrix, who
an integration acts as, which mail senders count as reporters, and how an alert's events
are recorded."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tocsin.alerts.items import Item
from tocsin.alerts.keys import IntegrationRef
from tocsin.auth.models import User
from tocsin.auth.principal import Principal, system_principal
from tocsin.auth.service import default_customer
from tocsin.db.session import UnitOfWork
from tocsin.incidents.actions import IncidentActions
from tocsin.incidents.intake import Labels, NewIncident


class Context:
    def __init__(self, actions: IncidentActions, *, matrix: Mapping[str, int]) -> None:
        self.actions = actions
        self.matrix = dict(matrix)
        self._provider: int | None = None
        self._robots: dict[tuple[int, str], Principal] = {}

    def robot(self, integration: IntegrationRef) -> Principal:
        """The principal an integration acts as (built once per integration and name)."""
        key = (integration.customer_id, integration.name)
        robot = self._robots.get(key)
        if robot is None:
            robot = self._robots[key] = system_principal(
                default_customer_id=integration.customer_id,
                name=f"integration:{integration.name}",
            )
        return robot

    def label(self, integration: IntegrationRef) -> str:
        """How the integration is named as the actor of timeline entries."""
        return self.robot(integration).actor.describe()

    def _provider_id(self) -> int:
        if self._provider is None:
            with self.actions.db.read() as session:
                self._provider = default_customer(session).id
        return self._provider

    def reporter_for(self, integration: IntegrationRef, user: User | None) -> User | None:
        """The user who sent a mail, when active and of the integration's customer or the
        provider's staff."""
        if user is None or not user.active:
            return None
        if user.customer_id == integration.customer_id:
            return user
        return (
            user if user.customer_id == self._provider_id() and user.role != "requester" else None
        )

    def incident_for(
        self, item: Item, *, key: str, summary: str, reporter: User | None
    ) -> NewIncident:
        """What an alert's new incident looks like: from the integration's routing and
        severity map, reported by the robot of the integration."""
        integration, alert = item.integration, item.alert
        levels = integration.config.severity_map[alert.severity]
        return NewIncident(
            title=summary,
            description=alert.description,
            type=alert.incident_type,
            customer_id=integration.customer_id,
            service_id=integration.service_id,
            team_id=integration.team_id,
            impact=levels.impact,
            urgency=levels.urgency,
            tags=[integration.type],
            principal=self.robot(integration),
            message=f"Opened by {integration.type} alert {key}",
            labels=Labels(
                customer=integration.customer_slug,
                service=integration.service_slug,
                requester=reporter.email if reporter else None,
                team=integration.team_slug,
            ),
            requester_id=reporter.id if reporter else None,
        )

    def emit(
        self,
        uow: UnitOfWork,
        integration: IntegrationRef,
        action: str,
        alert_id: int,
        now: datetime,
        key: str,
        incident_id: int | None = None,
        **data: Any,
    ) -> None:
        uow.record(
            action,
            "alert",
            alert_id,
            actor=self.robot(integration).actor,
            customer_id=integration.customer_id,
            at=now,
            dedup_key=key,
            integration=integration.name,
            incident_id=incident_id,
            **data,
        )
