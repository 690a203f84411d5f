"""Incidents: the record, its ITIL lifecycle, priority, notes and timeline."""
