"""Templates for the 兑现台账 page when the ledger's router runs without the web app (which normally
supplies ``app.state.templates`` with its own ``base.html``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2
from fastapi.templating import Jinja2Templates

TEMPLATES = Path(__file__).resolve().parent / "templates"

_BASE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}惠企{% endblock %} · 惠企</title>{% block head %}{% endblock %}</head>
<body><main class="page">{% block content %}{% endblock %}</main>{% block scripts %}{% endblock %}</body></html>
"""


@cache
def standalone_templates() -> Jinja2Templates:
    loader = jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader(TEMPLATES), jinja2.DictLoader({"base.html": _BASE})]
    )
    return Jinja2Templates(env=jinja2.Environment(loader=loader, autoescape=True))
