"""The ASGI adapter: REST API, health and metrics, the web console."""
