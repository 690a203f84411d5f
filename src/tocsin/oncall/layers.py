"""A schedule's layers between what people write (e-mails, "HH:MM") and what is stored
(user ids, ISO 8601 in UTC)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.models import User
from tocsin.auth.principal import Principal
from tocsin.oncall.refs import on_call_user
from tocsin.oncall.schemas import Hours, LayerIn, LayerOut, RestrictionOut


def stored_layers(
    session: Session, principal: Principal, layers: list[LayerIn], *, customer_id: int
) -> list[dict[str, Any]]:
    out = []
    for i, layer in enumerate(layers):
        users = [
            on_call_user(
                session, principal, email, customer_id=customer_id, field=f"layers.{i}.users"
            ).id
            for email in layer.users
        ]
        rotation: Any = (
            {"hours": layer.rotation.hours} if isinstance(layer.rotation, Hours) else layer.rotation
        )
        out.append(
            {
                "name": layer.name,
                "start": layer.start.astimezone(UTC).isoformat(),
                "rotation": rotation,
                "handoff": layer.handoff,
                "users": users,
                "restrictions": [r.model_dump() for r in layer.restrictions],
            }
        )
    return out


def layer_outs(session: Session, docs: list[dict[str, Any]], time_zone: str) -> list[LayerOut]:
    ids = {int(u) for doc in docs for u in doc["users"]}
    emails = dict(session.execute(select(User.id, User.email).where(User.id.in_(ids))).all())
    zone = ZoneInfo(time_zone)
    out = []
    for doc in docs:
        start = datetime.fromisoformat(doc["start"])
        rotation = doc["rotation"]
        out.append(
            LayerOut(
                name=doc["name"],
                start=start,
                rotation=Hours(hours=rotation["hours"]) if isinstance(rotation, dict) else rotation,
                handoff=doc.get("handoff") or f"{start.astimezone(zone):%H:%M}",
                users=[emails.get(int(u), f"#{u}") for u in doc["users"]],
                restrictions=[RestrictionOut(**r) for r in doc.get("restrictions", [])],
            )
        )
    return out
