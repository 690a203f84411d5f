"""/api/v1/audit: read and verify the hash-chained audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tocsin.audit import service as audit
from tocsin.audit.schemas import AuditEntryOut, VerifyOut
from tocsin.audit.verify import verify
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.core.paging import Page
from tocsin.web.access import AppDep, require

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

Auditor = Annotated[Principal, require(Permission.AUDIT_READ)]


@router.get("", summary="Audit entries, newest first")
def list_audit(
    app: AppDep,
    principal: Auditor,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> Page[AuditEntryOut]:
    return audit.list_entries(
        app.db,
        principal,
        action=action,
        object_type=object_type,
        object_id=object_id,
        limit=limit,
        cursor=cursor,
    )


@router.get("/verify", summary="Check the whole hash chain and its signed checkpoints")
def verify_audit(app: AppDep, principal: Auditor) -> VerifyOut:
    principal.require(Permission.AUDIT_READ)
    result = verify(app.db, key=app.audit_key)
    if result.problem is None:
        return VerifyOut(
            intact=True,
            entries=result.entries,
            checkpoints=result.checkpoints,
            first_bad_seq=None,
            detail=f"The audit chain is intact ({result.entries} entries, "
            f"{result.checkpoints} checkpoints).",
        )
    return VerifyOut(
        intact=False,
        entries=result.entries,
        checkpoints=result.checkpoints,
        first_bad_seq=result.problem.seq,
        detail=result.problem.reason,
    )
