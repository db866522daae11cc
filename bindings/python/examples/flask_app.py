"""A small Flask app guarded by tokenauth.contrib.flask's WSGI middleware.

Each route maps to the scopes it requires ("GET /api/tickets" -> "tickets:read"; a pattern ending
in "*" matches a prefix), or to a Route naming the resource too, for tokens scoped to resources
("tickets:read@project/42"); routes not in the map are refused (404). See docs/python.md.

Run it (with the tokenauth wheel installed):
    python3 bindings/python/examples/flask_app.py --db /tmp/flask-tokens.db --issue-demo-token
    curl -H "Authorization: Bearer <the printed token>" http://127.0.0.1:5000/api/tickets
"""

from __future__ import annotations

import argparse
from typing import Any, Dict, Mapping, Union

import tokenauth
from tokenauth.contrib import Gateway
from tokenauth.contrib.flask import VERDICT_KEY, Route, TokenAuthMiddleware

ROUTES: Dict[str, Union[str, Route]] = {
    "GET /api/tickets": "tickets:read",
    "GET /api/tickets/*": "tickets:read",
    "POST /api/tickets": "tickets:write",
    "GET /api/assets": "assets:read",
    "DELETE /api/users/*": "users:write",
    # {project} matches one path segment; a token holding tickets:read@project/42 passes for 42 only
    "GET /api/projects/{project}/tickets": Route("tickets:read", resource="project/{project}"),
}


def create_app(store: Union[str, Gateway], routes: Mapping[str, Union[str, Route]] = ROUTES) -> Any:
    """The Flask app, its WSGI callable wrapped by the middleware (``store``: the database path,
    or a Gateway)."""
    from flask import Flask, jsonify, request

    app = Flask(__name__)
    tickets = [{"id": 1, "title": "Printer on fire"}, {"id": 2, "title": "VPN down"}]

    @app.get("/health")
    def health() -> Any:
        return jsonify(ok=True, library=tokenauth.version())

    @app.get("/api/tickets")
    def list_tickets() -> Any:
        return jsonify(success=True, errors=[], data=tickets,
                       subject=request.headers.get("X-Token-Subject"))

    @app.get("/api/tickets/<int:ticket_id>")
    def get_ticket(ticket_id: int) -> Any:
        found = [t for t in tickets if t["id"] == ticket_id]
        if not found:
            return jsonify(success=False, errors=["Not Found"], data=None), 404
        return jsonify(success=True, errors=[], data=found[0])

    @app.post("/api/tickets")
    def create_ticket() -> Any:
        verdict: tokenauth.Verdict = request.environ[VERDICT_KEY]
        ticket = {"id": len(tickets) + 1, "title": (request.get_json(silent=True) or {}).get("title", ""),
                  "created_by": verdict.subject}
        tickets.append(ticket)
        return jsonify(success=True, errors=[], data=ticket), 201

    @app.get("/api/projects/<project>/tickets")
    def project_tickets(project: str) -> Any:
        return jsonify(success=True, errors=[], data=[], project=project,
                       subject=request.headers.get("X-Token-Subject"))

    @app.get("/api/assets")
    def list_assets() -> Any:
        return jsonify(success=True, errors=[], data=[{"id": "laptop-7"}])

    app.wsgi_app = TokenAuthMiddleware(app.wsgi_app, store, routes, public=("/health",))  # type: ignore[method-assign]
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="flask-tokens.db")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--issue-demo-token", action="store_true",
                        help="create member 'demo' and print a new tickets:read token (shown once)")
    args = parser.parse_args()
    if args.issue_demo_token:
        with tokenauth.Store.open(args.db) as store:
            store.put_member("demo", "tickets:read ManagePersonalAccessTokens")
            secret, token_id = store.create_token("flask demo", "tickets:read", actor="demo")
        print(f"token {token_id} (shown once): {secret}")
    create_app(args.db).run(host=args.host, port=args.port)


if __name__ == "__main__":
    main()
