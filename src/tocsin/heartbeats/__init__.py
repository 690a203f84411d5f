"""Heartbeats: an integration expecting a ping at a set interval; a missed ping opens an
incident through the alert pipeline, the next ping resolves it."""
