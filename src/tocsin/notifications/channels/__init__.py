"""Notification channels: e-mail, webhook, Slack, Teams, SMS, ntfy; each only transports."""
