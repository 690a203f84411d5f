"""Every table, for Alembic: each domain's models imported once, so the metadata the
migrations are compared against is complete. It sits with the migrations, above the
domains, because the database layer below them may import none of them."""

from __future__ import annotations

from tocsin.alerts import models as _alerts
from tocsin.alerts import requests as _alert_requests
from tocsin.audit import models as _audit
from tocsin.auth import models as _auth
from tocsin.catalog import models as _catalog
from tocsin.changes import models as _changes
from tocsin.db import counters as _counters
from tocsin.db import locks as _locks
from tocsin.db.base import Base
from tocsin.heartbeats import models as _heartbeats
from tocsin.incidents import models as _incidents
from tocsin.notifications import models as _notifications
from tocsin.oncall import models as _oncall
from tocsin.paging import link_models as _paging_links
from tocsin.paging import models as _paging
from tocsin.problems import models as _problems
from tocsin.reviews import models as _reviews
from tocsin.sla import models as _sla

metadata = Base.metadata
__all__ = [
    "_alert_requests",
    "_alerts",
    "_audit",
    "_auth",
    "_catalog",
    "_changes",
    "_counters",
    "_heartbeats",
    "_incidents",
    "_locks",
    "_notifications",
    "_oncall",
    "_paging",
    "_paging_links",
    "_problems",
    "_reviews",
    "_sla",
    "metadata",
]
