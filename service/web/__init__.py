"""What speaks HTTP: the app factory, the API and page routes, the OpenAI-compatible and MCP
surfaces, middleware, metrics, schemas, sign-in and input validation."""

from .app import create_app

__all__ = ["create_app"]
