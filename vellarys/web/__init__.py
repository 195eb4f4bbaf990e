"""The dashboard: server-rendered pages (Jinja2 + htmx) for agency staff."""

from vellarys.web.mount import install_web

__all__ = ["install_web"]
