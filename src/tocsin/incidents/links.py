"""Links between incidents: related, duplicate of, caused by; shown on both incidents."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.core.errors import Conflict, NotFound, ValidationFailed
from tocsin.core.ids import as_id
from tocsin.db.session import UnitOfWork
from tocsin.incidents.lifecycle import State
from tocsin.incidents.models import Incident, IncidentLink
from tocsin.incidents.queries import incident_by_ref, visible
from tocsin.incidents.schemas import LinkedIncidentOut, LinkIn, LinkKind
from tocsin.incidents.service import IncidentService

# kind -> (how the incident the link was made on relates to the other one, and the reverse)
RELATIONS: dict[LinkKind, tuple[str, str]] = {
    LinkKind.RELATED: ("related to", "related to"),
    LinkKind.DUPLICATE_OF: ("duplicate of", "duplicated by"),
    LinkKind.CAUSED_BY: ("caused by", "cause of"),
}


def relation(kind: LinkKind, *, outgoing: bool) -> str:
    forward, backward = RELATIONS[kind]
    return forward if outgoing else backward


def _linked(link: IncidentLink, this: int, other: Incident) -> LinkedIncidentOut:
    kind = LinkKind(link.kind)
    outgoing = link.incident_id == this
    return LinkedIncidentOut(
        link_id=link.id,
        kind=kind,
        direction="outgoing" if outgoing else "incoming",
        relation=relation(kind, outgoing=outgoing),
        number=other.number,
        title=other.title,
        state=State(other.state),
        priority=other.priority,
        created_at=link.created_at,
    )


class IncidentLinks:
    """Link and unlink incidents; each change is one transaction with a timeline entry
    (and so an audit entry) on both incidents."""

    def __init__(self, incidents: IncidentService) -> None:
        self.incidents = incidents
        self.db = incidents.db
        self.clock = incidents.clock

    def linked(self, principal: Principal, ref: str) -> list[LinkedIncidentOut]:
        """The incident's links, both directions, to incidents the principal may see."""
        principal.require(Permission.INCIDENT_READ)
        with self.db.read() as s:
            incident = incident_by_ref(s, principal, ref)
            return self._links_of(s, principal, incident)

    def link(self, principal: Principal, ref: str, data: LinkIn) -> LinkedIncidentOut:
        principal.require(Permission.INCIDENT_WORK)
        with self.db.unit_of_work() as uow:
            s = uow.session
            this = incident_by_ref(s, principal, ref)
            other = self._other(s, principal, data.incident)
            if other.id == this.id:
                raise ValidationFailed(
                    f"{this.number} cannot be linked to itself; name another incident.",
                    field="incident",
                )
            self._lock(s, this, other)
            existing = s.scalar(
                select(IncidentLink.kind).where(
                    IncidentLink.kind == data.kind.value, _between(this.id, other.id)
                )
            )
            if existing is not None:
                raise Conflict(
                    f"{this.number} and {other.number} are already linked as "
                    f"{relation(data.kind, outgoing=True)}."
                )
            link = IncidentLink(
                incident_id=this.id,
                linked_incident_id=other.id,
                kind=data.kind.value,
                created_at=self.clock.now(),
                created_by_id=principal.user_id,
            )
            s.add(link)
            s.flush()
            self._log_both(uow, principal, link, this, other, kind="linked")
            return _linked(link, this.id, other)

    def unlink(self, principal: Principal, ref: str, link_id: int) -> None:
        principal.require(Permission.INCIDENT_WORK)
        with self.db.unit_of_work() as uow:
            s = uow.session
            this = incident_by_ref(s, principal, ref)
            # an id past the column's range names no row (and would be an error on PostgreSQL)
            link = s.get(IncidentLink, link_id) if as_id(link_id) else None
            if link is None or this.id not in (link.incident_id, link.linked_incident_id):
                raise NotFound(f"{this.number} has no link {link_id}.")
            other_id = link.linked_incident_id if link.incident_id == this.id else link.incident_id
            other = s.scalar(select(Incident).where(Incident.id == other_id, visible(principal)))
            if other is None:
                raise NotFound(f"{this.number} has no link {link_id}.")
            self._lock(s, this, other)
            source, target = (this, other) if link.incident_id == this.id else (other, this)
            self._log_both(uow, principal, link, source, target, kind="unlinked")
            s.delete(link)

    # steps -------------------------------------------------------------------------------

    @staticmethod
    def _other(s: Session, principal: Principal, ref: str) -> Incident:
        """The incident named in the body: one the principal cannot see reads as unknown,
        the same sentence as a number nobody has."""
        try:
            return incident_by_ref(s, principal, ref)
        except NotFound:
            raise ValidationFailed(
                f"There is no incident {ref!r} you can link to; check the number.",
                field="incident",
            ) from None

    @staticmethod
    def _lock(s: Session, *incidents: Incident) -> None:
        """Lock both rows in id order, so two people linking A-B and B-A cannot deadlock."""
        ids = sorted(i.id for i in incidents)
        s.execute(
            select(Incident.id).where(Incident.id.in_(ids)).order_by(Incident.id).with_for_update()
        )

    def _log_both(
        self,
        uow: UnitOfWork,
        principal: Principal,
        link: IncidentLink,
        source: Incident,
        target: Incident,
        *,
        kind: str,
    ) -> None:
        link_kind = LinkKind(link.kind)
        verb = "Linked" if kind == "linked" else "Unlinked"
        now = self.clock.now()
        for this, other, outgoing in ((source, target, True), (target, source, False)):
            this.updated_at = now
            self.incidents.log(
                uow,
                principal,
                this,
                kind=kind,
                message=f"{verb}: {relation(link_kind, outgoing=outgoing)} {other.number}.",
                # Staff-only, like the links themselves: a requester's timeline does not
                # name incidents they may not know about.
                internal=True,
                extra={"link_kind": link_kind.value, "other": other.number},
            )

    @staticmethod
    def _links_of(s: Session, principal: Principal, incident: Incident) -> list[LinkedIncidentOut]:
        rows = s.execute(
            select(IncidentLink, Incident)
            .join(
                Incident,
                or_(
                    and_(
                        IncidentLink.incident_id == incident.id,
                        Incident.id == IncidentLink.linked_incident_id,
                    ),
                    and_(
                        IncidentLink.linked_incident_id == incident.id,
                        Incident.id == IncidentLink.incident_id,
                    ),
                ),
            )
            .where(visible(principal))
            .order_by(IncidentLink.created_at, IncidentLink.id)
        ).all()
        return [_linked(link, incident.id, other) for link, other in rows]


def _between(a: int, b: int) -> ColumnElement[bool]:
    """Links between two incidents, whichever way they were made."""
    return or_(
        and_(IncidentLink.incident_id == a, IncidentLink.linked_incident_id == b),
        and_(IncidentLink.incident_id == b, IncidentLink.linked_incident_id == a),
    )
