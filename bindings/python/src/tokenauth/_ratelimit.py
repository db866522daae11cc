"""Rate limits: how a handle shares them (``ta_rate_limit_policy``) and a token's own limit."""

from __future__ import annotations

import enum
from typing import NamedTuple


class RateLimitPolicy(enum.IntEnum):
    """``ta_rate_limit_policy``: how a handle's rate limits are shared (:meth:`Store.set_rate_limit_policy`).

    ``SHARED`` (the default): every process of the host that opens the same database file draws
    each token's capacity from one bucket (in shared memory beside the database); on PostgreSQL,
    one budget for the whole fleet. ``PER_HANDLE``: one bucket per token for this handle alone
    (the only policy of a ``":memory:"`` store).
    """

    SHARED = 0
    PER_HANDLE = 1


class TokenRateLimit(NamedTuple):
    """A token's stored rate limit (``ta_token_rate_limit``): ``limit`` requests per
    ``window_ms``; both 0 for an unlimited token. It never changes for a given token."""

    limit: int
    window_ms: int

    @property
    def unlimited(self) -> bool:
        """True for a token without a rate limit."""
        return self.limit == 0

