"""Delivery channels behind one interface: webhook, e-mail, and SMS / app push adapters.

- :class:`WebhookChannel`: HTTP POST of a JSON event signed per the Standard
  Webhooks spec (``standardwebhooks``): ``webhook-id`` is derived from the
  notification's key, the same on every attempt, so a receiver deduplicates.
- :class:`EmailChannel`: real SMTP (``smtplib``), the same ``Message-ID`` on every attempt.
- :class:`AppriseChannel`: SMS and push through an Apprise URL template
  (``"json://host/sms?to={address}"``, a provider's ``twilio://...``).
- :class:`HttpProviderChannel`: a provider's HTTP API (POST JSON with an
  ``Idempotency-Key`` header).

Each ``send`` returns the receiver's status code (or None) and raises
:class:`DeliveryError` when it fails; ``permanent`` says a retry cannot help
(a 4xx refusal, an unknown recipient).  :func:`build_channels` turns a
:class:`ChannelConfig` into the channel map, so each one is swapped by configuration.
"""

from __future__ import annotations

import hashlib
import json
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

import httpx

from engine.domain.notification import ChannelKind, Notification
from engine.errors import InputError
from engine.notify.messages import Message

__all__ = [
    "Channel", "DeliveryError", "WebhookChannel", "EmailChannel", "AppriseChannel", "HttpProviderChannel",
    "ChannelConfig", "build_channels", "webhook_id",
]


class DeliveryError(Exception):
    """A failed delivery attempt (internal to the worker; recorded on the outbox row)."""

    def __init__(self, message: str, *, permanent: bool = False, status_code: int | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.status_code = status_code


class Channel(Protocol):
    kind: ChannelKind

    def send(self, n: Notification, msg: Message) -> int | None:
        ...


def webhook_id(key: str) -> str:
    """The notification's Standard Webhooks id: stable per key, so every attempt carries the same one."""
    return "msg_" + hashlib.sha256(key.encode()).hexdigest()[:32]


def _http_outcome(status: int, text: str) -> int:
    if 200 <= status < 300:
        return status
    permanent = 400 <= status < 500 and status not in (408, 409, 425, 429)
    raise DeliveryError(f"HTTP {status}: {text[:120]}", permanent=permanent, status_code=status)


class WebhookChannel:
    """POST to the notification's address (or one fixed ``url``), signed with ``secret`` (``whsec_...``)."""

    kind = ChannelKind.WEBHOOK

    def __init__(self, secret: str, *, url: str | None = None, timeout_s: float = 5.0,
                 client: httpx.Client | None = None) -> None:
        from standardwebhooks.webhooks import Webhook  # noqa: PLC0415 -- only a worker that sends needs it

        self._signer = Webhook(secret)
        self.url = url
        self._client = client or httpx.Client(timeout=timeout_s, limits=httpx.Limits(max_connections=64, max_keepalive_connections=64))

    def body(self, n: Notification, msg: Message) -> str:
        data = {k: v for k, v in n.payload.items() if not k.startswith("_")}
        return json.dumps({
            "type": f"order.{n.event}" if n.ticket_id is None else f"ticket.{n.event}",
            "timestamp": datetime.fromtimestamp(n.created_at, timezone.utc).isoformat(),
            "data": {**data, "order_id": n.order_id, "customer_id": n.customer_id, "ticket_id": n.ticket_id or data.get("ticket_id"),
                     "language": n.language, "title": msg.subject, "text": msg.body},
        }, separators=(",", ":"), ensure_ascii=False)

    def send(self, n: Notification, msg: Message) -> int | None:
        url = self.url or n.address
        body = self.body(n, msg)
        mid = webhook_id(n.key)
        now = datetime.now(timezone.utc)  # the spec's timestamp is the attempt's wall time (receivers check it)
        headers = {
            "content-type": "application/json", "webhook-id": mid,
            "webhook-timestamp": str(int(now.timestamp())), "webhook-signature": self._signer.sign(mid, now, body),
        }
        try:
            r = self._client.post(url, content=body.encode(), headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}"[:200]) from exc
        return _http_outcome(r.status_code, r.text)


class EmailChannel:
    """SMTP to the notification's address."""

    kind = ChannelKind.EMAIL

    def __init__(self, host: str, port: int = 25, *, sender: str = "noreply@localhost", starttls: bool = False,
                 username: str | None = None, password: str | None = None, timeout_s: float = 10.0) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.starttls, self.username, self.password, self.timeout_s = starttls, username, password, timeout_s

    def send(self, n: Notification, msg: Message) -> int | None:
        m = EmailMessage()
        m["From"] = self.sender
        m["To"] = n.address
        m["Subject"] = msg.subject
        m["Message-ID"] = f"<{webhook_id(n.key)}@promise-engine>"
        m["X-Idempotency-Key"] = webhook_id(n.key)
        m.set_content(msg.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as s:
                if self.starttls:
                    s.starttls(context=ssl.create_default_context())
                if self.username:
                    s.login(self.username, self.password or "")
                s.send_message(m)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"recipient refused: {n.address}", permanent=True) from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"[:200], permanent=500 <= exc.smtp_code < 600,
                                status_code=exc.smtp_code) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}"[:200]) from exc
        return 250


class AppriseChannel:
    """SMS or push through Apprise; ``url`` is a template with ``{address}``."""

    def __init__(self, kind: ChannelKind, url: str) -> None:
        if "{address}" not in url:
            raise InputError("an Apprise URL template needs {address}", item=str(kind), field="url")
        self.kind = ChannelKind(kind)
        self.url = url

    def send(self, n: Notification, msg: Message) -> int | None:
        import apprise  # noqa: PLC0415 -- heavy (hundreds of plugins); only SMS/push workers load it

        a = apprise.Apprise()
        if not a.add(self.url.format(address=n.address)):
            raise DeliveryError(f"Apprise cannot use the URL for {n.address!r}", permanent=True)
        if not a.notify(body=msg.body, title=msg.subject or None):
            raise DeliveryError("Apprise: the service did not accept the message")
        return None


class HttpProviderChannel:
    """A provider's HTTP API: POST ``{"to", "title", "text", "id"}`` with an ``Idempotency-Key`` header."""

    def __init__(self, kind: ChannelKind, endpoint: str, *, token: str | None = None, timeout_s: float = 5.0,
                 client: httpx.Client | None = None) -> None:
        self.kind = ChannelKind(kind)
        self.endpoint = endpoint
        self._headers = {"authorization": f"Bearer {token}"} if token else {}
        self._client = client or httpx.Client(timeout=timeout_s)

    def send(self, n: Notification, msg: Message) -> int | None:
        mid = webhook_id(n.key)
        try:
            r = self._client.post(self.endpoint, json={"to": n.address, "title": msg.subject, "text": msg.body, "id": mid},
                                  headers={**self._headers, "idempotency-key": mid})
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}"[:200]) from exc
        return _http_outcome(r.status_code, r.text)


@dataclass(frozen=True, slots=True)
class ChannelConfig:
    """Which channels a worker has and where they go (None: that channel is not configured).

    ``smtp_url``: ``smtp://[user:password@]host:port?from=noreply@shop.example&starttls=1``.
    ``sms_url`` / ``push_url``: an ``http(s)://`` provider endpoint, or an Apprise URL template with ``{address}``.
    """

    webhook_secret: str | None = None
    webhook_url: str | None = None
    smtp_url: str | None = None
    sms_url: str | None = None
    push_url: str | None = None
    provider_token: str | None = None
    timeout_s: float = 5.0


def _adapter(kind: ChannelKind, url: str, cfg: ChannelConfig) -> Channel:
    if url.startswith(("http://", "https://")) and "{address}" not in url:
        return HttpProviderChannel(kind, url, token=cfg.provider_token, timeout_s=cfg.timeout_s)
    return AppriseChannel(kind, url)


def build_channels(cfg: ChannelConfig) -> dict[ChannelKind, Channel]:
    """The configured channels; a notification for a channel not here is dead-lettered with that reason."""
    out: dict[ChannelKind, Channel] = {}
    if cfg.webhook_secret:
        out[ChannelKind.WEBHOOK] = WebhookChannel(cfg.webhook_secret, url=cfg.webhook_url, timeout_s=cfg.timeout_s)
    if cfg.smtp_url:
        u = urlsplit(cfg.smtp_url)
        if u.scheme not in ("smtp", "smtps") or not u.hostname:
            raise InputError("smtp_url must look like smtp://host:port?from=...", item="worker", field="smtp_url")
        q = {k: v[-1] for k, v in parse_qs(u.query).items()}
        out[ChannelKind.EMAIL] = EmailChannel(
            u.hostname, u.port or 25, sender=q.get("from", "noreply@localhost"), starttls=q.get("starttls") == "1",
            username=u.username, password=u.password, timeout_s=cfg.timeout_s,
        )
    if cfg.sms_url:
        out[ChannelKind.SMS] = _adapter(ChannelKind.SMS, cfg.sms_url, cfg)
    if cfg.push_url:
        out[ChannelKind.PUSH] = _adapter(ChannelKind.PUSH, cfg.push_url, cfg)
    return out
