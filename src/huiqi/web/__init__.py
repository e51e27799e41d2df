"""The web front door: FastAPI + Jinja2 over the same library functions as the CLI (see ARCHITECTURE.md)."""

from huiqi.web.app import create_app

__all__ = ["create_app"]
