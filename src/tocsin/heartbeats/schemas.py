"""What a ping is answered."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class PingOut(BaseModel):
    status: Literal["ok"] = "ok"
    next_due_at: datetime = Field(description="when the next ping is expected")
