"""Suggestions for an incident from history: similar incidents of the same customer (by
text), what they were categorised, prioritised and routed as (weighted votes), and the
known errors the incident matches."""

from __future__ import annotations

from sqlalchemy import select

from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.catalog.models import Category, Team
from tocsin.db.session import Database
from tocsin.incidents.changes import label
from tocsin.incidents.models import Incident
from tocsin.incidents.queries import incident_by_ref
from tocsin.problems.known_errors import match_incident, match_out
from tocsin.problems.queries import incident_words
from tocsin.problems.schemas import SimilarOut, SuggestionsOut, Vote
from tocsin.problems.similarity import THRESHOLD, jaccard, tokens
from tocsin.problems.voting import votes

# How far back similar incidents are looked for (the customer's newest), and how many
# of the most similar ones vote.
HISTORY = 2000
VOTERS = 10


class Suggestions:
    def __init__(self, db: Database) -> None:
        self.db = db

    def for_incident(self, principal: Principal, ref: str) -> SuggestionsOut:
        principal.require(Permission.PROBLEM_READ)
        with self.db.read() as s:
            incident = incident_by_ref(s, principal, ref)
            words = incident_words(incident)
            history = s.execute(
                select(
                    Incident.id,
                    Incident.number,
                    Incident.title,
                    Incident.description,
                    Incident.category_id,
                    Incident.priority,
                    Incident.team_id,
                )
                .where(Incident.customer_id == incident.customer_id, Incident.id != incident.id)
                .order_by(Incident.id.desc())
                .limit(HISTORY)
            ).all()
            scored = []
            for row in history:
                score = jaccard(words, tokens(f"{row.title} {row.description}"))
                if score >= THRESHOLD:
                    scored.append((score, row))
            scored.sort(key=lambda pair: (-pair[0], -pair[1].id))
            voters = scored[:VOTERS]
            return SuggestionsOut(
                category=[
                    Vote(value=v, confidence=c)
                    for v, c in votes((label(s, Category, r.category_id), w) for w, r in voters)
                ],
                priority=[
                    Vote(value=v, confidence=c)
                    for v, c in votes((r.priority, w) for w, r in voters)
                ],
                team=[
                    Vote(value=v, confidence=c)
                    for v, c in votes((label(s, Team, r.team_id), w) for w, r in voters)
                ],
                similar=[
                    SimilarOut(id=r.id, number=r.number, title=r.title, score=round(w, 3))
                    for w, r in voters
                ],
                known_errors=[match_out(s, k, m) for k, m in match_incident(s, incident)],
            )
