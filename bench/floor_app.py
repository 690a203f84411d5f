"""A second yardstick: the leanest group-commit design of the same work, no framework.

Raw ASGI, one SQLite file, the senders' JSON read with plain dict access (no validation
beyond the routing key), and per batch of concurrent requests one transaction that looks
up live keys and writes for each new alert an incident, the alert, a timeline entry, two
hash-chained audit entries and an outbox row, each sender answered after the commit. It
is what the ingestion issue's "60-line prototype" describes. Tocsin must do more per alert
(validation with precise errors, integrations, grouping, flapping, maintenance windows,
priority, teams, tenants, the indexes its lists need), so this bounds from above what the
server stack and SQLite allow on the machine: `ingest.py --floor` runs it in the same
rounds as the minimal app and Tocsin.

Environment: FLOOR_DB (the SQLite file, made on first start), FLOOR_KEY (the PagerDuty
routing key; Alertmanager requests are not checked).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sqlite3
import time
import uuid
from typing import Any

DB = os.environ.get("FLOOR_DB", "floor.db")
KEY = os.environ.get("FLOOR_KEY", "")
SCHEMA = """
CREATE TABLE IF NOT EXISTS incident (id INTEGER PRIMARY KEY, number TEXT UNIQUE, title TEXT,
  state TEXT, priority INT, opened_at REAL);
CREATE INDEX IF NOT EXISTS incident_state ON incident (state, priority, opened_at);
CREATE TABLE IF NOT EXISTS alert (id INTEGER PRIMARY KEY, dedup_key TEXT, live INT,
  summary TEXT, severity TEXT, incident_id INT, payload TEXT, created_at REAL);
CREATE UNIQUE INDEX IF NOT EXISTS alert_live ON alert (dedup_key) WHERE live = 1;
CREATE INDEX IF NOT EXISTS alert_incident ON alert (incident_id);
CREATE TABLE IF NOT EXISTS timeline (id INTEGER PRIMARY KEY, incident_id INT, kind TEXT,
  body TEXT, at REAL);
CREATE INDEX IF NOT EXISTS timeline_incident ON timeline (incident_id, at);
CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY, action TEXT, data TEXT, prev TEXT,
  hash TEXT, at REAL);
CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY, topic TEXT, audit_id INT, at REAL);
"""
ACCEPTED = b'{"status":"success","message":"Event processed","dedup_key":"%s"}'
_decode = json.JSONDecoder().decode
_encode = json.JSONEncoder(separators=(",", ":"), sort_keys=True).encode


class Writer:
    def __init__(self) -> None:
        self.db = sqlite3.connect(DB, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self.number = self.db.execute("SELECT count(*) FROM incident").fetchone()[0]
        row = self.db.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        self.head = row[0] if row else "0" * 64
        self.pending: list[tuple[str, str, str, dict[str, Any], asyncio.Future[str]]] = []
        self.writing = False
        self.task: asyncio.Future[None] | None = None
        self.last = 1
        self.audit_id = self.db.execute("SELECT coalesce(max(id), 0) FROM audit").fetchone()[0]

    def add(
        self, key: str, summary: str, severity: str, doc: dict[str, Any]
    ) -> asyncio.Future[str]:
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.pending.append((key, summary, severity, doc, future))
        if not self.writing:
            self.writing = True
            self.task = asyncio.ensure_future(self.drain())
        return future

    async def drain(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 0.002  # as Tocsin: wait up to 2 ms for the previous batch's size
        await asyncio.sleep(0)
        while len(self.pending) < self.last and loop.time() < deadline:
            await asyncio.sleep(0.0001)
        batch, self.pending = self.pending, []
        self.last = len(batch)
        self.writing = False
        try:
            self.write(batch)
        except Exception as exc:  # every sender of the batch gets the error
            for *_, future in batch:
                future.set_exception(exc)
            return
        for key, *_, future in batch:
            future.set_result(key)

    def write(self, batch: list[tuple[str, str, str, dict[str, Any], Any]]) -> None:
        now = time.time()
        db = self.db
        number, head = self.number, self.head  # given back if the transaction fails
        db.execute("BEGIN IMMEDIATE")
        try:
            keys = [b[0] for b in batch]
            marks = ",".join("?" * len(keys))
            live = {
                r[0]
                for r in db.execute(
                    f"SELECT dedup_key FROM alert WHERE live = 1 AND dedup_key IN ({marks})", keys
                )
            }
            incidents, alerts, timeline, audit = [], [], [], []
            audit_id = self.audit_id
            outbox = []
            for key, summary, severity, doc, _ in batch:
                if key in live:
                    continue
                live.add(key)
                n = self.number = self.number + 1
                incidents.append((n, f"INC{n:07d}", summary, "new", 3, now))
                alerts.append((key, 1, summary, severity, n, _encode(doc), now))
                timeline.append((n, "created", summary, now))
                for action in ("incident.created", "alert.triggered"):
                    data = _encode({"action": action, "incident": n, "key": key, "at": now})
                    digest = hashlib.sha256((self.head + data).encode()).hexdigest()
                    audit.append((action, data, self.head, digest, now))
                    self.head = digest
                    audit_id += 1
                    if action == "incident.created":
                        outbox.append((action, audit_id, now))
            db.executemany("INSERT INTO incident VALUES (?, ?, ?, ?, ?, ?)", incidents)
            db.executemany(
                "INSERT INTO alert (dedup_key, live, summary, severity, incident_id, payload,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                alerts,
            )
            db.executemany(
                "INSERT INTO timeline (incident_id, kind, body, at) VALUES (?, ?, ?, ?)", timeline
            )
            db.executemany(
                "INSERT INTO audit (action, data, prev, hash, at) VALUES (?, ?, ?, ?, ?)", audit
            )
            db.executemany("INSERT INTO outbox (topic, audit_id, at) VALUES (?, ?, ?)", outbox)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            self.number, self.head = number, head
            raise
        self.audit_id = audit_id


_writer: Writer | None = None


async def _respond(send: Any, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global _writer
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                _writer = Writer()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    if scope["path"] == "/healthz":
        await _respond(send, 200, b"{}")
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    assert _writer is not None
    try:
        doc = _decode(body.decode())
        if scope["path"] == "/v2/enqueue":
            if doc.get("routing_key") != KEY:
                await _respond(send, 400, b'{"status":"invalid event"}')
                return
            payload = doc["payload"]
            item = (
                doc.get("dedup_key") or uuid.uuid4().hex,
                payload["summary"],
                payload["severity"],
                doc,
            )
        else:
            alert = doc["alerts"][0]
            key = doc["groupKey"] + alert["fingerprint"]
            item = (
                key,
                alert["annotations"].get("summary", ""),
                alert["labels"].get("severity", ""),
                alert,
            )
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        await _respond(send, 400, b'{"status":"invalid event"}')
        return
    key = await _writer.add(*item)
    await _respond(send, 202, ACCEPTED % key.encode())
