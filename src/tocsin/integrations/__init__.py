"""Inbound senders: one pure parser module per protocol, registered in `registry`."""
