"""The web dashboard: server-rendered pages (Jinja2 + htmx) for users and the operator."""
