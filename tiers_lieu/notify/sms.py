"""SMS providers: `send(to, body, *, message_id=None)` delivers one text or raises DeliveryError.

`message_id` only names the outbox row in log lines, which never hold the number or the text.
"""
import http.client
import json
import logging
import urllib.error
import urllib.request

from .service import DeliveryError

log = logging.getLogger(__name__)


class LogSmsProvider:
    """Pretend to send: write a line to the log, without the number or the text."""

    provider = "log"

    def send(self, to, body, *, message_id=None):
        log.info("SMS for message %s (%s characters) written to the log provider",
                 message_id, len(body))


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
    """Return the SMS provider SMS_PROVIDER names: "log" (the default) or "http"."""
    config = app.config
    name = config["SMS_PROVIDER"]
    if name == "log":
        return LogSmsProvider()
    if name == "http":
        if not config["SMS_HTTP_URL"]:
            raise ValueError("SMS_PROVIDER=http needs SMS_HTTP_URL")
        return HttpSmsProvider(url=config["SMS_HTTP_URL"], token=config["SMS_HTTP_TOKEN"],
                               sender_name=config["SMS_SENDER_NAME"],
                               timeout=config["SMS_TIMEOUT"])
    raise ValueError(f"unknown SMS_PROVIDER {name!r}: use 'log' or 'http'")
