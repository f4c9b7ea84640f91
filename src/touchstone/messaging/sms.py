"""Text messages through an adapter: ``outbox`` (the default) stores what would be sent;
``http`` posts to an SMS provider's HTTP API. ``settings.SMS_BACKEND`` chooses
(docs/messaging.md)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Protocol

from django.conf import settings

from touchstone.messaging.models import Message, OutboxText


class SmsError(Exception):
    """The provider refused or could not be reached; the message is retried."""


class SmsBackend(Protocol):
    def send(self, message: Message) -> str:
        """Send ``message.body`` to ``message.to`` (E.164); the provider's id for it."""
        ...


class OutboxBackend:
    """Sends nothing: keeps the text in ``OutboxText`` (seen on the messages page)."""

    def send(self, message: Message) -> str:
        text = OutboxText.objects.create(message=message, to=message.to, body=message.body)
        return f"outbox:{text.pk}"


class HttpBackend:
    """A provider's HTTP API: ``POST SMS_HTTP_URL`` with the JSON body
    ``{"from": SMS_FROM, "to": "+1…", "body": "…"}`` and ``Authorization: Bearer
    SMS_HTTP_TOKEN``; a 2xx answer is success (its JSON ``id``, if any, is kept), anything else
    an ``SmsError``. Providers with another shape get a subclass overriding ``request``."""

    def request(self, message: Message) -> urllib.request.Request:
        data = {"from": settings.SMS_FROM, "to": message.to, "body": message.body}
        headers = {"Content-Type": "application/json"}
        if settings.SMS_HTTP_TOKEN:
            headers["Authorization"] = f"Bearer {settings.SMS_HTTP_TOKEN}"
        # settings.py accepts only an http(s) URL for SMS_HTTP_URL.
        return urllib.request.Request(  # noqa: S310
            str(settings.SMS_HTTP_URL),
            data=json.dumps(data).encode(),
            headers=headers,
            method="POST",
        )

    def send(self, message: Message) -> str:
        try:
            with urllib.request.urlopen(self.request(message), timeout=15) as response:  # noqa: S310
                payload = response.read()
        except urllib.error.HTTPError as error:
            raise SmsError(f"provider answered {error.code}") from None
        except (urllib.error.URLError, TimeoutError) as error:
            raise SmsError(type(error).__name__) from None
        try:
            answer = json.loads(payload or b"{}")
        except ValueError:
            answer = {}
        return str(answer.get("id", "")) if isinstance(answer, dict) else ""


def get_backend() -> SmsBackend:
    return HttpBackend() if settings.SMS_BACKEND == "http" else OutboxBackend()
