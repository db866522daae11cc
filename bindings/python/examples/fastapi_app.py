"""A FastAPI app guarded by tokenauth.contrib.fastapi (docs/python.md).

Run it (with the tokenauth wheel, fastapi and uvicorn installed):
    TOKENAUTH_STORE=/tmp/tokens.db uvicorn fastapi_app:app --app-dir bindings/python/examples
The scopes of each route appear in /openapi.json (and /docs) under the "tokenauth" scheme.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Union

from fastapi import FastAPI, HTTPException, Security
from pydantic import BaseModel

from tokenauth import Verdict
from tokenauth.contrib import Gateway
from tokenauth.contrib.fastapi import TokenAuth


class NewTicket(BaseModel):
    title: str


def create_app(store: Union[str, Gateway]) -> FastAPI:
    """The app over a token database path (or a Gateway)."""
    auth = TokenAuth(store, realm="tickets")
    app = FastAPI(title="Tickets")
    auth.install(app)
    tickets = [{"id": 1, "title": "Printer on fire"}, {"id": 2, "title": "VPN down"}]

    @app.get("/health")
    def health() -> Dict[str, Any]:
        return {"ok": True}

    @app.get("/api/tickets")
    def list_tickets(verdict: Verdict = Security(auth, scopes=["tickets:read"])) -> Dict[str, Any]:
        return {"subject": verdict.subject, "data": tickets}

    @app.get("/api/tickets/{ticket_id}")
    def get_ticket(ticket_id: int, verdict: Verdict = Security(auth, scopes=["tickets:read"])) -> Dict[str, Any]:
        found = [t for t in tickets if t["id"] == ticket_id]
        if not found:
            raise HTTPException(404, "no such ticket")
        return {"data": found[0]}

    # A token holding tickets:read@project/42 passes here for project 42 only.
    @app.get("/api/projects/{project_id}/tickets")
    def project_tickets(
        project_id: str, verdict: Verdict = Security(auth.for_resource("project/{project_id}"), scopes=["tickets:read"])
    ) -> Dict[str, Any]:
        return {"project": project_id, "subject": verdict.subject, "data": []}

    @app.post("/api/tickets", status_code=201)
    def create_ticket(body: NewTicket, verdict: Verdict = Security(auth, scopes=["tickets:write"])) -> Dict[str, Any]:
        ticket = {"id": len(tickets) + 1, "title": body.title, "created_by": verdict.subject}
        tickets.append(ticket)
        return {"data": ticket}

    return app


app = create_app(os.environ.get("TOKENAUTH_STORE", "tokens.db"))
