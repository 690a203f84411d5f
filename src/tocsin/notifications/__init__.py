"""Notifications: the outbox every change of an incident writes in its own transaction."""
