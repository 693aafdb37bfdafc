"""Customer notifications: a transactional outbox, preferences, templates, channels and the worker.

Causes (monitor warnings, order events, ticket changes) write outbox rows in
their own unit of work (:func:`on_warning`, :func:`on_order_event`,
:func:`on_ticket_change`); the :class:`Worker` delivers them.  Persistence goes
through :class:`NotifyRepo` / :class:`Outbox` (the store implements them).
"""

from __future__ import annotations

from engine.notify.channels import (
    AppriseChannel, Channel, ChannelConfig, DeliveryError, EmailChannel, HttpProviderChannel, WebhookChannel,
    build_channels, webhook_id,
)
from engine.notify.outbox import enqueue, on_order_event, on_ticket_change, on_warning
from engine.notify.prefs import in_quiet_hours, quiet_until, send_time
from engine.notify.messages import Message, render, sms_segments
from engine.notify.repo import MemoryNotifyRepo, NotifyRepo, Outbox, Outcome
from engine.notify.worker import RetryPolicy, Worker, deliver

__all__ = [
    "enqueue", "on_warning", "on_order_event", "on_ticket_change",
    "NotifyRepo", "Outbox", "Outcome", "MemoryNotifyRepo",
    "Worker", "RetryPolicy", "deliver",
    "Channel", "ChannelConfig", "DeliveryError", "WebhookChannel", "EmailChannel", "AppriseChannel",
    "HttpProviderChannel", "build_channels", "webhook_id",
    "Message", "render", "sms_segments", "in_quiet_hours", "quiet_until", "send_time",
]
