"""Change records: what changed (deploys, configuration, maintenance), when and where, so
an incident can show the recent changes of its service."""
