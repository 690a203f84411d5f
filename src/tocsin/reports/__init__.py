"""Read-only figures over incidents for dashboards and reports (MTTA, MTTR, open work, SLA)."""
