"""Django REST framework integration.

settings.py::

    TOKENAUTH = {"STORE": BASE_DIR / "tokens.db"}          # plus PREFIX, REALM, USER, OPTIONS
    REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": ["tokenauth.contrib.drf.TokenAuthentication"],
        "DEFAULT_PERMISSION_CLASSES": ["tokenauth.contrib.drf.HasScopes"],
    }
    MIDDLEWARE = [..., "tokenauth.contrib.drf.UsageMiddleware"]

a view::

    class TicketList(APIView):
        required_scopes = {"GET": ["tickets:read"], "POST": ["tickets:write"]}

    class ProjectTickets(APIView):                      # path("api/projects/<int:project_id>/tickets/", ...)
        required_scopes = {"GET": ["tickets:read"]}
        required_resource = "project/{project_id}"      # filled from the URL's kwargs

One ``ta_verify`` per request, with the scopes the view declares for the request's method (and the
resource it names, for tokens scoped to resources: ``tickets:read@project/42``): the
authentication class makes it (so that a token's use and rate-limit unit are counted once), the
permission class refuses a request that carries no token. Every refusal is a DRF response with
the library's status and JSON body (``ta_error_json``), ``WWW-Authenticate``, ``Retry-After`` and
``RateLimit``. ``request.auth`` is the :class:`~tokenauth.Verdict`; ``request.user`` a
:class:`TokenPrincipal` or, with ``"USER": "django"``, the Django user named by a personal token.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Dict, Optional, Tuple

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from .._errors import Status, TokenKind
from .._verdict import Verdict
from ._gateway import Answer, Gateway, scopes_for_method
from ._resource import checked, resolve

DEFAULTS: Dict[str, Any] = {
    "STORE": None,  # the database path (required)
    "PREFIX": None,  # the token prefix of a new database (None: the library's, "tka")
    "REALM": "api",  # WWW-Authenticate's realm
    "USER": "principal",  # request.user: "principal", "django", or a dotted path to a callable
    "OPTIONS": {},  # more Store.open keywords: default_rate_limit, busy_timeout_ms, ...
}
USAGE_MIDDLEWARE = "tokenauth.contrib.drf.UsageMiddleware"
_OK = Status.OK  # read on every request: a module global, faster than the enum's attribute

log = logging.getLogger("tokenauth")


class TokenPrincipal:
    """``request.user`` for a verified token: who acts (``verdict.subject``: the owner's member id
    for a personal token, the token id for a service token), authenticated, with no Django
    permissions of its own (scopes are the token's permissions)."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, verdict: Verdict) -> None:
        self.verdict = verdict

    @property
    def id(self) -> str:
        return self.verdict.subject

    pk = username = id

    @property
    def is_service(self) -> bool:
        """True for a service token (the subject is the token itself)."""
        return self.verdict.kind == TokenKind.SERVICE

    def get_username(self) -> str:
        return self.username

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False

    def has_perms(self, perms: Any, obj: Any = None) -> bool:
        return False

    def has_module_perms(self, app_label: str) -> bool:
        return False

    def __str__(self) -> str:
        return self.username

    def __repr__(self) -> str:
        return f"<TokenPrincipal {self.username!r} token={self.verdict.token_id!r}>"


class TokenAuthRefusal(exceptions.APIException):
    """A refusal as DRF renders it: the library's status and JSON body. Its headers go on the
    response through the view (see :func:`_answer_headers_on`)."""

    def __init__(self, answer: Answer) -> None:
        super().__init__()
        self.answer = answer
        self.status_code = answer.status
        # Set after APIException.__init__, which would turn false and null into strings.
        self.detail = answer.json()
        self.auth_header = answer.headers.get("WWW-Authenticate")
        wait = answer.headers.get("Retry-After")
        self.wait = int(wait) if wait else None


# ------------------------------------------------------------------------------ settings


def tokenauth_settings() -> Dict[str, Any]:
    """``settings.TOKENAUTH`` over :data:`DEFAULTS`."""
    configured = getattr(settings, "TOKENAUTH", {})
    unknown = set(configured) - set(DEFAULTS)
    if unknown:
        raise ImproperlyConfigured(f"TOKENAUTH: unknown keys {sorted(unknown)}; known: {sorted(DEFAULTS)}")
    merged = {**DEFAULTS, **configured}
    if not merged["STORE"]:
        raise ImproperlyConfigured('TOKENAUTH["STORE"] must name the token database')
    return merged


_configured: Optional[Tuple[Gateway, Callable[[Verdict], Any]]] = None


def gateway() -> Gateway:
    """The process's gateway, built from ``settings.TOKENAUTH`` on first use (its store opens on
    the first request, after any fork)."""
    return _configuration()[0]


def _configuration() -> Tuple[Gateway, Callable[[Verdict], Any]]:
    """(the gateway, the ``USER`` resolver), from the settings, once."""
    global _configured
    if _configured is None:
        conf = tokenauth_settings()
        options = dict(conf["OPTIONS"])
        if conf["PREFIX"]:
            options["token_prefix"] = conf["PREFIX"]
        if USAGE_MIDDLEWARE not in getattr(settings, "MIDDLEWARE", ()):
            log.warning("%s is not in MIDDLEWARE: the statuses answered to tokens are not recorded", USAGE_MIDDLEWARE)
        _configured = (Gateway(conf["STORE"], realm=conf["REALM"], **options), _resolver(conf["USER"]))
    return _configured


def _reset(setting: str, **_: Any) -> None:
    """A changed TOKENAUTH (override_settings in tests) takes effect on the next request."""
    global _configured
    if setting == "TOKENAUTH" and _configured is not None:
        _configured[0].close()
        _configured = None


setting_changed.connect(_reset)


def _resolver(kind: str) -> Callable[[Verdict], Any]:
    if kind == "principal":
        return TokenPrincipal
    if kind == "django":
        return django_user
    resolver: Callable[[Verdict], Any] = import_string(kind)
    return resolver


def django_user(verdict: Verdict) -> Any:
    """``"USER": "django"``: the active Django user whose username is a personal token's owner
    (None when there is none); a service token acts as itself (a :class:`TokenPrincipal`)."""
    if verdict.kind != TokenKind.PERSONAL:
        return TokenPrincipal(verdict)
    from django.contrib.auth import get_user_model

    model = get_user_model()
    try:
        user = model._default_manager.get_by_natural_key(verdict.subject)
    except model.DoesNotExist:
        return None
    return user if getattr(user, "is_active", True) else None


# ------------------------------------------------------------------------------ the classes


def required_scopes(view: Any, method: str) -> Optional[Any]:
    """The scopes ``view.required_scopes`` declares for ``method`` (see
    :func:`~tokenauth.contrib.scopes_for_method`); None when the view declares none at all."""
    declared = getattr(view, "required_scopes", None)
    if declared is None:
        return None
    return scopes_for_method(declared, method)


def required_resource(view: Any, request: Any) -> Optional[str]:
    """The resource the request touches, as the view names it: ``view.get_required_resource(request)``
    when the view defines it (a str, or None for no specific resource), else the template
    ``view.required_resource`` (``"project/{project_id}"``) filled from the URL's kwargs
    (``view.kwargs``), else None: then only grants on every resource count."""
    getter = getattr(view, "get_required_resource", None)
    if getter is not None:
        return checked(getter(request))
    source = getattr(view, "required_resource", None)
    if source is None:
        return None
    return checked(resolve(source, getattr(view, "kwargs", None) or {}))


def _is_bearer(header: str) -> bool:
    """Whether an Authorization value uses the Bearer scheme (in any case), the one this class
    answers for (RFC 7235: the scheme ends at a space)."""
    return header.partition(" ")[0].lower() == "bearer"


def _handles(view: Any, method: str) -> bool:
    """Whether the view has a handler for the method (else DRF answers 405 itself)."""
    return view is not None and hasattr(view, method.lower()) and method.lower() in view.http_method_names


def _answer_headers_on(view: Any, answer: Answer) -> None:
    """DRF copies ``view.headers`` onto the response it finally sends, error responses included
    (``APIView.finalize_response``), so the headers survive any ``EXCEPTION_HANDLER``."""
    if answer.headers and isinstance(getattr(view, "headers", None), dict):
        view.headers.update(answer.headers)


class TokenAuthentication(BaseAuthentication):
    """Authenticates ``Authorization: Bearer <token>`` with one ``ta_verify`` against the scopes
    the view declares for the request's method, on the resource it names (:func:`required_resource`).

    Another scheme (``Basic``, ``Token``…) or no header: not attempted (None), so that other
    authentication classes may try. A token the library refuses: :class:`TokenAuthRefusal` with
    its status (401, 403, 429, 503; 400 for an ill-formed resource name). A method the view's
    ``required_scopes`` mapping leaves out: 403 without verification.
    """

    def authenticate(self, request: Any) -> Optional[Tuple[Any, Verdict]]:
        # The Django request underneath: DRF's Request reaches its attributes through __getattr__,
        # a microsecond each between two requests.
        http = getattr(request, "_request", request)
        header = http.META.get("HTTP_AUTHORIZATION", "")
        if not _is_bearer(header):
            return None
        view = (request.parser_context or {}).get("view")
        scopes = required_scopes(view, http.method)
        gw, user_for = _configured or _configuration()
        if scopes is None and getattr(view, "required_scopes", None) is not None:
            if not _handles(view, request.method):
                return None  # DRF answers 405
            answer = gw.refuse(Status.FORBIDDEN)
        else:
            answer = gw.check(header, scopes, resource=required_resource(view, request))
        if answer.headers:
            _answer_headers_on(view, answer)
        if answer.body is not None:
            raise TokenAuthRefusal(answer)
        assert answer.verdict is not None
        user = user_for(answer.verdict)
        if user is None:
            refusal = gw.refuse(Status.OWNER_INACTIVE)
            _answer_headers_on(view, refusal)
            raise TokenAuthRefusal(refusal)
        return user, answer.verdict

    def authenticate_header(self, request: Any) -> str:
        """``WWW-Authenticate`` for DRF's own 401s."""
        return gateway().refuse(Status.MALFORMED, presented=False).headers["WWW-Authenticate"]


class HasScopes(BasePermission):
    """Requires a token verified by :class:`TokenAuthentication` (which checked the scopes the
    view's ``required_scopes`` declares for the method: a list for every method, or a mapping per
    method; ``[]`` accepts any valid token).

    No token at all: a 401 with the library's body. A user authenticated otherwise (a session):
    DRF's 403. A view without ``required_scopes``: ``ImproperlyConfigured``. In an OR composition
    put it last (``ReadOnly | HasScopes``): its 401 ends the evaluation.
    """

    def has_permission(self, request: Any, view: Any) -> bool:
        if getattr(view, "required_scopes", None) is None:
            raise ImproperlyConfigured(
                f"{type(view).__name__} uses HasScopes but declares no required_scopes "
                '(e.g. required_scopes = ["tickets:read"], or {"GET": [...], "POST": [...]})'
            )
        if isinstance(request.auth, Verdict):
            return request.auth.ok
        if not _handles(view, request.method):
            return True  # DRF answers 405
        if request.successful_authenticator is not None:
            return False
        scopes, resource = required_scopes(view, request.method), required_resource(view, request)
        answer = gateway().check(None, scopes, resource=resource)
        _answer_headers_on(view, answer)
        raise TokenAuthRefusal(answer)


class UsageMiddleware:
    """Records the status the application answered for each request a token passed
    (``ta_record_usage``), under the operation ``"METHOD /route/<pattern>"``."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        response = self.get_response(request)
        verdict = getattr(request, "auth", None)
        if isinstance(verdict, Verdict) and verdict.status == _OK:
            (_configured or _configuration())[0].record(verdict, operation(request), response.status_code)
        return response


def operation(request: Any) -> str:
    """``"GET /api/tickets/<int:pk>/"``: the method and the route that matched (its pattern, so
    that statistics group by endpoint), or the path when none did."""
    match = getattr(request, "resolver_match", None)
    route = getattr(match, "route", None)
    return f"{request.method} /{route}" if route else f"{request.method} {request.path}"
