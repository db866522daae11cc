"""FastAPI / Starlette integration.

::

    from fastapi import FastAPI, Security
    from tokenauth import Verdict
    from tokenauth.contrib.fastapi import TokenAuth

    auth = TokenAuth("tokens.db")
    app = FastAPI()
    auth.install(app)  # the library's JSON bodies for refusals; usage and RateLimit headers

    @app.get("/tickets")
    def tickets(verdict: Verdict = Security(auth, scopes=["tickets:read"])) -> dict:
        return {"subject": verdict.subject}

    # a token holding tickets:read@project/42 passes here for project 42 only
    @app.get("/projects/{project_id}/tickets")
    def project_tickets(project_id: int,
                        verdict: Verdict = Security(auth.for_resource("project/{project_id}"),
                                                    scopes=["tickets:read"])) -> dict:
        ...

``TokenAuth`` is a security scheme (HTTP bearer): the scopes given to ``Security`` are verified by
one ``ta_verify`` and appear in the OpenAPI document, on the operation's security requirement. A
refusal raises :class:`TokenAuthHTTPException` (an ``HTTPException`` with the library's status,
``WWW-Authenticate``, ``Retry-After`` and ``RateLimit``); :meth:`TokenAuth.install` answers it with
the library's JSON body as is and records the status of every response a token obtained.
"""

from __future__ import annotations

import copy
import inspect
import logging
from typing import Any, Awaitable, Callable, List, MutableMapping, Optional, Tuple, Union

import anyio.to_thread
from fastapi import HTTPException, Request
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security import SecurityScopes
from fastapi.security.base import SecurityBase
from starlette.datastructures import MutableHeaders
from starlette.responses import Response

from .._errors import TokenAuthError
from .._verdict import Verdict
from ._gateway import Answer, Gateway, StoreSource, as_gateway
from ._resource import ResourceSource, checked, resolve

log = logging.getLogger("tokenauth")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The ASGI scope key through which the dependency hands what passed to UsageMiddleware.
PASSED = "tokenauth.passed"
Passed = List[Tuple[Verdict, str, Answer]]


class TokenAuthHTTPException(HTTPException):
    """A refusal: the library's HTTP status and headers; ``detail`` is its JSON body, parsed
    (FastAPI's default handler answers ``{"detail": ...}``; :meth:`TokenAuth.install` answers the
    body itself)."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(status_code=answer.status, detail=answer.json(), headers=dict(answer.headers))
        self.answer = answer


class TokenAuth(SecurityBase):
    """A ``Security`` dependency: verifies ``Authorization`` against the scopes of the
    ``Security(auth, scopes=[...])`` chain and returns the :class:`~tokenauth.Verdict`.

    ``store`` is a :class:`~tokenauth.contrib.Gateway`, a database path (with ``options``, the
    ``Store.open`` keywords) or a callable opening a Store; one store per process, opened on the
    first request (in a worker thread, off the event loop). ``verify`` itself runs inline: it
    never waits for a writer.

    ``resource`` names the entity each request touches, for tokens whose grants are scoped to
    resources (``tickets:read@project/42``): a template filled from the path parameters
    (``"project/{project_id}"``), or a callable of the ``Request`` returning the name or None (it
    may be ``async``). None (the default): no specific resource, so only grants on every resource
    count. :meth:`for_resource` gives the same scheme with another resource, for one route.
    """

    def __init__(
        self,
        store: Union[Gateway, StoreSource],
        *,
        realm: str = "api",
        scheme_name: str = "tokenauth",
        description: Optional[str] = "An API access token: `Authorization: Bearer <token>`.",
        resource: ResourceSource = None,
        **options: Any,
    ) -> None:
        self.gateway = as_gateway(store, realm=realm, **options)
        self.model = HTTPBearerModel(bearerFormat="tokenauth", description=description)
        self.scheme_name = scheme_name
        self.resource = resource
        self._warned = False

    def for_resource(self, resource: ResourceSource) -> "TokenAuth":
        """The same scheme (gateway, store, OpenAPI entry) verifying on ``resource``: a template
        filled from the path parameters or a callable of the ``Request``, as the constructor's.
        Use it once per route, at declaration: ``Security(auth.for_resource("project/{project_id}"),
        scopes=["tickets:read"])``."""
        scoped = copy.copy(self)
        scoped.resource = resource
        return scoped

    async def _resource_of(self, request: Request) -> Optional[str]:
        named = resolve(self.resource, request.path_params, request)
        if inspect.isawaitable(named):
            named = await named
        return checked(named)

    async def __call__(self, request: Request, security_scopes: SecurityScopes) -> Verdict:
        if not self.gateway.is_open:
            try:
                await anyio.to_thread.run_sync(self.gateway.store)
            except TokenAuthError as exc:
                raise TokenAuthHTTPException(self.gateway.unavailable(exc)) from None
        resource = await self._resource_of(request)
        answer = self.gateway.check(request.headers.get("authorization"), security_scopes.scopes, resource=resource)
        if not answer.ok:
            raise TokenAuthHTTPException(answer)
        assert answer.verdict is not None
        passed: Optional[Passed] = request.scope.get(PASSED)
        if passed is not None:
            passed.append((answer.verdict, operation(request), answer))
        elif not self._warned:
            self._warned = True
            log.warning("TokenAuth.install(app) was not called: usage and RateLimit headers are not recorded")
        return answer.verdict

    def install(self, app: Any) -> None:
        """Adds the refusal handler (the library's JSON body as is) and :class:`UsageMiddleware`
        to a FastAPI or Starlette app, before it starts."""
        app.add_exception_handler(TokenAuthHTTPException, refusal_response)
        app.add_middleware(UsageMiddleware, gateway=self.gateway)


async def refusal_response(request: Request, exc: Exception) -> Response:
    """The exception handler: the library's status, JSON body and headers."""
    assert isinstance(exc, TokenAuthHTTPException)
    answer = exc.answer
    return Response(answer.body, status_code=answer.status, headers=dict(answer.headers), media_type="application/json")


def operation(request: Request) -> str:
    """``"GET /tickets/{ticket_id}"``: the method and the path pattern of the route that matched."""
    route = request.scope.get("route")
    path = getattr(route, "path", None) or request.url.path
    return f"{request.method} {path}"


class UsageMiddleware:
    """ASGI middleware: adds the ``RateLimit`` headers of the token a request passed with to the
    response, and records its status (``ta_record_usage``; 500 when the app failed before
    answering)."""

    def __init__(self, app: ASGIApp, gateway: Gateway) -> None:
        self.app = app
        self.gateway = gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        passed: Passed = []
        scope[PASSED] = passed
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                if passed:
                    headers = MutableHeaders(scope=message)
                    for name, value in passed[-1][2].headers.items():
                        headers.setdefault(name, value)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            for verdict, name, _ in passed:
                self.gateway.record(verdict, name, status)
