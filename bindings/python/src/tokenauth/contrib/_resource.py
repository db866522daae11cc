"""The resource a request touches, as the application names it, for tokens scoped to resources.

A token may hold a grant on some resources only (``tickets:read@project/42``); the library decides
whether the grant covers the resource a request names (``ta_verify_resource``). The integrations
let the application name it per route: a template such as ``"project/{project_id}"``, filled from
the route's parameters, or a callable returning the name (or None: no specific resource, so only
grants on every resource count). The name is passed on as is: the library judges its syntax, and
an ill-formed one is ``INVALID_ARGUMENT`` (400).
"""

from __future__ import annotations

import functools
import string
from typing import Any, Callable, List, Mapping, Optional, Tuple, Union

#: How a route names its resource: a template, a callable (its arguments depend on the
#: framework), or None for no specific resource.
ResourceSource = Union[str, Callable[..., Any], None]


class ResourceTemplate:
    """A resource name with ``{name}`` placeholders, each replaced by the route parameter of that
    name (``str(value)``, unchanged: the library judges the result).

    ``ResourceTemplate("project/{project_id}/tickets/{ticket_id}").fill({"project_id": 42,
    "ticket_id": 7})`` is ``"project/42/tickets/7"``. A placeholder is a bare identifier (no
    attribute, index, conversion or format spec); ``{{`` and ``}}`` are literal braces.
    """

    def __init__(self, template: str) -> None:
        if not isinstance(template, str):
            raise TypeError(f"a resource template must be str, not {type(template).__name__}")
        self.template = template
        self._parts: List[Tuple[str, Optional[str]]] = []
        try:
            parsed = list(string.Formatter().parse(template))
        except ValueError as exc:
            raise ValueError(f"resource template {template!r}: {exc}") from None
        for literal, field, spec, conversion in parsed:
            if field is not None and (not field.isidentifier() or spec or conversion):
                raise ValueError(
                    f"resource template {template!r}: {{{field}}} is not a plain placeholder "
                    "such as {project_id}"
                )
            self._parts.append((literal, field))
        self.fields = tuple(field for _, field in self._parts if field is not None)

    def fill(self, params: Mapping[str, Any]) -> str:
        """The name for one request. A placeholder the route does not provide is a configuration
        error (``LookupError``, naming the parameters the route has)."""
        out = []
        for literal, field in self._parts:
            out.append(literal)
            if field is not None:
                if field not in params:
                    raise LookupError(
                        f"resource template {self.template!r} needs {{{field}}}, which the route "
                        f"does not provide (its parameters: {sorted(params) or 'none'})"
                    )
                out.append(str(params[field]))
        return "".join(out)

    def __repr__(self) -> str:
        return f"ResourceTemplate({self.template!r})"


@functools.lru_cache(maxsize=256)
def template(text: str) -> ResourceTemplate:
    """The compiled template for ``text``, compiled once."""
    return ResourceTemplate(text)


def resolve(source: ResourceSource, params: Mapping[str, Any], *args: Any) -> Any:
    """The resource of one request: None for None, a template filled from ``params``, or what the
    callable returns for ``args`` (an awaitable is left to the caller to await)."""
    if source is None:
        return None
    if isinstance(source, str):
        return template(source).fill(params)
    if callable(source):
        return source(*args)
    raise TypeError(f"a resource is a template str or a callable, not {type(source).__name__}")


def checked(resource: Any) -> Optional[str]:
    """What a callable returned, as a name: str or None, anything else is a ``TypeError``."""
    if resource is None or isinstance(resource, str):
        return resource
    raise TypeError(f"the resource callable must return str or None, not {type(resource).__name__}")
