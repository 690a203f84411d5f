"""The browser console: server-rendered pages over the same domain services."""
