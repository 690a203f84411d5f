"""The audit log as the API shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AuditEntryOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str | None
    customer_id: int | None
    data: dict[str, Any]
    hash: str


class VerifyOut(BaseModel):
    intact: bool
    entries: int
    checkpoints: int
    first_bad_seq: int | None
    detail: str
