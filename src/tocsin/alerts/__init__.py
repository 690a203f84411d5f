"""Alerts: integrations (senders), deduplication, grouping into incidents, maintenance."""
