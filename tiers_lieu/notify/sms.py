"""SMS providers: `send(to, body, *, message_id=None)` delivers one text or raises DeliveryError.

`message_id` only names the outbox row in log lines, which never hold the number or the text.
`SMS_PROVIDER=none` switches text messages off (`channels.sms_enabled`): nothing new is queued, and
its provider fails at once the texts left in the outbox from before.
"""
import http.client
import json
import logging
import urllib.error
import urllib.request

from .channels import sms_enabled
from .service import DeliveryError

log = logging.getLogger(__name__)
SWITCHED_OFF = "SMS switched off (SMS_PROVIDER=none)"


def sms_setting_problem(config, *, production):
    """What is wrong with the SMS settings, in an operator's words, or None. In production the
    log provider is a problem too: it marks as sent texts that no one receives."""
    name = config.get("SMS_PROVIDER")
    if not sms_enabled(config):
        return None
    if name == "log":
        if not production:
            return None
        return ("SMS_PROVIDER=log only writes a line in the log and residents receive nothing: set "
                "SMS_PROVIDER=http with SMS_HTTP_URL (the gateway's https:// address) and SMS_HTTP_TOKEN, or "
                "SMS_PROVIDER=none to switch text messages off")
    if name == "http":
        url = config.get("SMS_HTTP_URL") or ""
        if not url:
            return "SMS_PROVIDER=http needs SMS_HTTP_URL, the gateway's https:// address"
        if not url.startswith("https://") and production:
            return "SMS_HTTP_URL must be an https:// address: the numbers, texts and token travel to it"
        return None
    if not name:
        return "SMS_PROVIDER must be set: http (with SMS_HTTP_URL), or none to switch text messages off"
    return f"unknown SMS_PROVIDER {name!r}: use http (with SMS_HTTP_URL), none, or log in development"


class LogSmsProvider:
    """Pretend to send: write a line to the log, without the number or the text."""

    provider = "log"

    def send(self, to, body, *, message_id=None):
        log.info("SMS for message %s (%s characters) written to the log provider",
                 message_id, len(body))


class SwitchedOffSmsProvider:
    """SMS_PROVIDER=none: nothing new is queued, and a text left in the outbox from before the
    switch fails at once, with its cause, rather than being retried for a day or passed off as sent."""

    provider = "none"

    def send(self, to, body, *, message_id=None):
        raise DeliveryError(SWITCHED_OFF, final=True)


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    # Followed, a redirect turns the POST into a GET whose 200 would pass for a sent SMS.
    def redirect_request(self, *args, **kwargs):
        return None


class HttpSmsProvider:
    """Post each SMS as JSON to a gateway; any answer but 2xx, or no answer, is a failure."""

    provider = "http"

    def __init__(self, *, url, token, sender_name, timeout=10):
        self.url, self.token, self.sender_name, self.timeout = url, token, sender_name, timeout
        self._opener = urllib.request.build_opener(_RefuseRedirects)

    def send(self, to, body, *, message_id=None):
        request = urllib.request.Request(
            self.url,
            data=json.dumps({"to": to, "text": body, "sender": self.sender_name}).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json",
                     "Authorization": f"Bearer {self.token}"},
        )
        try:
            # The opener raises HTTPError for any status outside 2xx.
            self._opener.open(request, timeout=self.timeout).close()
        except urllib.error.HTTPError as error:
            raise DeliveryError(f"HTTP {error.code}") from None
        except urllib.error.URLError as error:
            reason = error.reason
            raise DeliveryError(type(reason).__name__ if isinstance(reason, Exception)
                                else "URLError") from None
        except (OSError, http.client.HTTPException) as error:
            raise DeliveryError(type(error).__name__) from None
        log.info("SMS for message %s accepted by the HTTP provider", message_id)


def sms_provider_from_config(app):
    """Return the SMS provider SMS_PROVIDER names: "log" (development's default), "http" or
    "none"; raise ValueError, in the operator's words, for settings that cannot send."""
    config = app.config
    name = config["SMS_PROVIDER"]
    problem = sms_setting_problem(config, production=False)
    if problem:
        raise ValueError(problem)
    if not sms_enabled(config):
        return SwitchedOffSmsProvider()
    if name == "log":
        return LogSmsProvider()
    return HttpSmsProvider(url=config["SMS_HTTP_URL"], token=config["SMS_HTTP_TOKEN"],
                           sender_name=config["SMS_SENDER_NAME"], timeout=config["SMS_TIMEOUT"])
