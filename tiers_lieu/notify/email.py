"""E-mail over SMTP, one connection per batch of messages."""
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from ..core.centre import current_centre
from .service import DeliveryError


def describe(error):
    """Name an SMTP or network failure by its class and SMTP code, leaving out any address."""
    code = getattr(error, "smtp_code", None)
    if isinstance(error, smtplib.SMTPRecipientsRefused) and error.recipients:
        code = next(iter(error.recipients.values()))[0]
    return f"{type(error).__name__} {code}" if code else type(error).__name__


class SmtpSender:
    """Send outbox e-mails through one SMTP server, reusing the connection until `close()`."""

    provider = "smtp"

    def __init__(self, *, host, port, sender, username=None, password=None, use_tls=False,
                 use_ssl=False, timeout=10):
        self.host, self.port, self.timeout = host, port, timeout
        self.username, self.password = username, password
        self.use_tls, self.use_ssl = use_tls, use_ssl
        self.sender = sender
        self._smtp = None

    @classmethod
    def from_config(cls, app):
        """Build the sender from the MAIL_* settings, with the centre's name as display name."""
        config = app.config
        name, address = parseaddr(config["MAIL_DEFAULT_SENDER"])
        return cls(
            host=config["MAIL_SERVER"],
            port=config["MAIL_PORT"],
            sender=Address(display_name=name or current_centre().name, addr_spec=address),
            username=config["MAIL_USERNAME"],
            password=config["MAIL_PASSWORD"],
            use_tls=config["MAIL_USE_TLS"],
            use_ssl=config["MAIL_USE_SSL"],
            timeout=config["MAIL_TIMEOUT"],
        )

    def compose(self, message):
        """Build the MIME message for an outbox row: UTF-8 text, and HTML as an alternative."""
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject or ""
        email["Date"] = formatdate(usegmt=True)
        # Named after our own domain: the default asks DNS for this host's name, slow on some hosts.
        email["Message-ID"] = make_msgid(domain=self.sender.domain)
        # RFC 3834: an automatic message, so that out-of-office replies are not sent back.
        email["Auto-Submitted"] = "auto-generated"
        # Quoted-printable keeps accents intact through servers that do not accept 8-bit bodies.
        email.set_content(message.body, cte="quoted-printable")
        if message.html_body:
            email.add_alternative(message.html_body, subtype="html", cte="quoted-printable")
        # Last: setting the content clears every Content-* header set before.
        email["Content-Language"] = message.language
        return email

    def send(self, message):
        """Send one outbox e-mail, or raise DeliveryError."""
        email = self.compose(message)
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.send_message(email, from_addr=self.sender.addr_spec,
                                    to_addrs=[message.recipient])
        except (smtplib.SMTPException, OSError) as error:
            # The next message starts afresh rather than on a connection in an unknown state.
            self._drop_connection()
            raise DeliveryError(describe(error)) from None

    def _connect(self):
        # Python's SMTP classes check no certificate unless given a default context.
        context = ssl.create_default_context()
        if self.use_ssl:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.use_tls:
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password or "")
        except (smtplib.SMTPException, OSError):
            smtp.close()
            raise
        return smtp

    def _drop_connection(self):
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def close(self):
        """Say goodbye to the server, if a connection is open."""
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass  # the messages are sent; a server that hangs up first changes nothing
        finally:
            self._drop_connection()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
