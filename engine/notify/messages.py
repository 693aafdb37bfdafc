"""Messages from templates: Jinja2 per language and channel, one macro per event, Babel dates.

Templates live in ``engine/notify/templates/<language>/<channel>.j2`` (``en``,
``zh_CN``; ``email``, ``sms``, ``push``); each defines one macro per
:class:`~engine.domain.notification.NoticeEvent`.  Times in the payload are
epoch seconds and are shown in the customer's time zone and locale through
the ``day`` and ``hm`` filters (Babel).  An SMS is kept to one message: the
reason is shortened until it fits (160 GSM-7 characters, or 70 when the text
needs UCS-2, as Chinese does).  A webhook carries the JSON payload plus the
push text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_time
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from engine.domain.notification import ChannelKind, NoticeEvent
from engine.errors import InputError

__all__ = ["Message", "render", "sms_segments", "LANGUAGES"]

_DIR = Path(__file__).resolve().parent / "templates"
LANGUAGES = ("en", "zh_CN")
_STATUS_TEXT = {
    "en": {"new": "received", "open": "being handled", "waiting_customer": "waiting for your answer",
           "waiting_carrier": "waiting for the carrier", "resolved": "resolved", "closed": "closed"},
    "zh_CN": {"new": "已受理", "open": "处理中", "waiting_customer": "等待您的回复",
              "waiting_carrier": "等待承运商回复", "resolved": "已解决", "closed": "已关闭"},
}
#: Characters of the GSM 03.38 basic set (what fits 160 to a message).
_GSM = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXT = set("^{}\\[~]|€")


@dataclass(frozen=True, slots=True)
class Message:
    """What a channel sends: a subject (e-mail, push title; may be empty) and a text body."""

    subject: str
    body: str


def sms_segments(text: str) -> int:
    """How many SMS messages ``text`` takes (GSM-7: 160 / 153 per part; UCS-2: 70 / 67)."""
    if all(c in _GSM or c in _GSM_EXT for c in text):
        n = sum(2 if c in _GSM_EXT else 1 for c in text)
        return 1 if n <= 160 else math.ceil(n / 153)
    n = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
    return 1 if n <= 70 else math.ceil(n / 67)


def _language(lang: str) -> str:
    lang = (lang or "en").replace("-", "_")
    if lang in LANGUAGES:
        return lang
    if lang.lower().startswith("zh"):
        return "zh_CN"
    return "en"


@lru_cache(maxsize=8)
def _env(lang: str, tz: str) -> Environment:
    try:
        zone = ZoneInfo(tz)
    except Exception as exc:  # noqa: BLE001 -- ZoneInfo raises several kinds for a bad name
        raise InputError(f"unknown time zone {tz!r}", item="customer", field="timezone") from exc
    env = Environment(
        loader=FileSystemLoader(str(_DIR / lang)), undefined=StrictUndefined, autoescape=select_autoescape([]),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
    )
    locale = "zh_Hans_CN" if lang == "zh_CN" else "en"

    def _dt(t: float) -> datetime:
        return datetime.fromtimestamp(float(t), timezone.utc)

    # CLDR puts narrow no-break spaces in times ("10:05\u202fPM"); one of them makes an SMS UCS-2 (70, not 160).
    env.filters["hm"] = lambda t: _plain(format_time(_dt(t), "short", tzinfo=zone, locale=locale)) if t is not None else ""
    env.filters["day"] = lambda t: _plain(format_skeleton("MMMEd", _dt(t).astimezone(zone), locale=locale)) if t is not None else ""
    return env


def _plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


class _Payload(dict):
    """Attribute access for templates, None for what the cause did not carry."""

    def __getattr__(self, name: str) -> object:
        return self.get(name)


def render(event: NoticeEvent | str, channel: ChannelKind | str, payload: dict, *, language: str = "en",
           tz: str = "UTC") -> Message:
    """The message for one event on one channel, in the customer's language and time zone."""
    event, channel, lang = NoticeEvent(event), ChannelKind(channel), _language(language)
    kind = "push" if channel == ChannelKind.WEBHOOK else str(channel)
    env = _env(lang, tz)
    macro = getattr(env.get_template(f"{kind}.j2").module, str(event))
    p = _Payload(payload)
    p.setdefault("status_text", _STATUS_TEXT[lang].get(str(payload.get("status", "")), payload.get("status", "")))
    p.setdefault("reason", "")
    reason_max = 60 if lang == "en" else 20
    for _ in range(8):  # shorter reasons until one SMS holds it; bounded
        p["reason_max"] = max(reason_max, 4)
        text = str(macro(p)).strip()
        if kind != "sms" or sms_segments(text) == 1:
            break
        reason_max -= 8 if lang == "en" else 4
    else:
        text = text[: 160 if all(c in _GSM for c in text) else 70]
    if kind == "email":
        head, _, body = text.partition("\n")
        return Message(head.removeprefix("Subject:").strip(), body.strip())
    if kind == "push":
        title, _, body = text.partition("|")
        return Message(title.strip(), body.strip())
    return Message("", text)
