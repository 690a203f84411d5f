"""The background engine: named, idempotent modules run on a tick under database leases."""
