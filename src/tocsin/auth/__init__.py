"""Users, roles, API tokens, sessions and customers (tenants)."""
