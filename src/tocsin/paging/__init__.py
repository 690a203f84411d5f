"""Paging: what incident events set off. Escalation runs, the SLA clocks fed from
events, pages to people and channels, and the signed links that act from a message."""
