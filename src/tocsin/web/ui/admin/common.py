"""What the three administration pages share: multi-valued form fields and whole lists."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated
from zoneinfo import available_timezones

from fastapi import Depends, Request

from tocsin.auth.principal import Principal
from tocsin.auth.roles import Role
from tocsin.auth.schemas import UserOut
from tocsin.bootstrap import Tocsin
from tocsin.core.paging import MAX_LIMIT

# The tabs across the section: (path, label); each page names the one it is.
TABS = (("/admin/users", "Users"), ("/admin/teams", "Teams"), ("/admin/customers", "Customers"))

ZONES = sorted(available_timezones())


async def read_lists(request: Request) -> dict[str, list[str]]:
    """Every value of every posted field: checkbox groups post one name several times
    (the console's FormData keeps only the last)."""
    form = await request.form()
    return {key: [v for v in form.getlist(key) if isinstance(v, str)] for key in form}


FormLists = Annotated[dict[str, list[str]], Depends(read_lists)]


def every_user(
    app: Tocsin,
    principal: Principal,
    *,
    role: Role | None = None,
    customer: str | None = None,
    q: str | None = None,
) -> Iterator[UserOut]:
    """All users matching, page after page (for CSV exports and member pickers)."""
    cursor: str | None = None
    while True:
        found = app.auth.list_users(
            principal, role=role, customer=customer, q=q, limit=MAX_LIMIT, cursor=cursor
        )
        yield from found.items
        if not found.next:
            return
        cursor = found.next


def ids(values: list[str]) -> list[int]:
    """Posted ids; a value that is not a number names no row (-1 is never an id)."""
    return [int(v) if v.isdecimal() and len(v) < 10 else -1 for v in values]
