"""Events: what happened to an order, a vehicle or a promise.

Monitoring emits them (a vehicle fell behind, a promise no longer holds) and
the API turns them into tickets and customer notifications.  Kept as plain
records so they can be stored (``api.store``) and replayed by the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any


class EventKind(str, Enum):
    ORDER_CREATED = "order_created"
    PROMISE_MADE = "promise_made"
    HANDED_OVER = "handed_over"
    VEHICLE_POSITION = "vehicle_position"
    STOP_ARRIVED = "stop_arrived"
    DELIVERED = "delivered"
    DELAY_WARNING = "delay_warning"
    PROMISE_BROKEN = "promise_broken"


@dataclass(slots=True)
class Event:
    kind: EventKind
    at: datetime
    order_id: str | None = None
    vehicle_id: str | None = None
    #: Free-form details: revised ETA, reason, probability the promise holds.
    payload: dict[str, Any] = field(default_factory=dict)
