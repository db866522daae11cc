"""Web framework integrations of libtokenauth.

- ``tokenauth.contrib.drf``: Django REST framework (authentication and permission classes, a
  middleware that records usage);
- ``tokenauth.contrib.fastapi``: FastAPI / Starlette (a ``Security`` dependency, an exception
  handler and an ASGI middleware that records usage);
- ``tokenauth.contrib.flask``: a WSGI middleware for Flask (or any WSGI app) with a route map.

All three share :class:`tokenauth.contrib.Gateway`: one store per process, opened lazily (after a
fork, the child opens its own), and the mapping of the library's verdicts to HTTP (status, the
library's JSON body, ``WWW-Authenticate``, ``Retry-After``, ``RateLimit``). The decisions
themselves are the library's.

Each integration lets a route name the resource a request touches, for tokens whose grants are
scoped to resources (``tickets:read@project/42``): a :class:`ResourceTemplate` such as
``"project/{project_id}"`` filled from the route's parameters, or a callable.
"""

from ._gateway import Answer, Gateway, scopes_for_method
from ._resource import ResourceTemplate

__all__ = ["Answer", "Gateway", "ResourceTemplate", "scopes_for_method"]
