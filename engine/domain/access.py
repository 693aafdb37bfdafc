"""Who may call what: the roles an API key carries."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Role", "GRANTS"]


class Role(StrEnum):
    """A key's role; ``admin`` may do everything, the others one job each."""

    #: quotes and promise checks, for the shop's checkout
    CHECKOUT = "checkout"
    #: plans, tracking events and delay warnings, for dispatch
    DISPATCHER = "dispatcher"
    #: tickets and customer history, for support agents
    AGENT = "agent"
    #: API keys, and every other route
    ADMIN = "admin"


#: The roles allowed where a route asks for one of them.
GRANTS: dict[Role, frozenset[Role]] = {
    Role.CHECKOUT: frozenset({Role.CHECKOUT, Role.ADMIN}),
    Role.DISPATCHER: frozenset({Role.DISPATCHER, Role.ADMIN}),
    Role.AGENT: frozenset({Role.AGENT, Role.ADMIN}),
    Role.ADMIN: frozenset({Role.ADMIN}),
}
