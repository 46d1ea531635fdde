"""Email over SMTP: STARTTLS (certificate and host name verified) before a login or a message is sent.

Plain Python: :mod:`smtplib` and :mod:`email`. A server that does not offer STARTTLS is refused
rather than sent to in clear text (unless the channel says ``starttls: false``, which the
config allows only without a password). SMTP's own classes of reply decide retries: 4xx and
dropped connections are temporary, 5xx and a refused certificate are not.
"""

from __future__ import annotations

import json
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING

from govern.notify.channels import DeliveryError

if TYPE_CHECKING:
    from govern.notify.config import Channel
    from govern.notify.due import Notice


def message(channel: "Channel", notice: "Notice") -> EmailMessage:
    spec = channel.spec
    msg = EmailMessage()
    msg["Subject"] = _one_line(f"{spec.subject_prefix} {notice.title}".strip())  # type: ignore[union-attr]
    msg["From"] = spec.sender  # type: ignore[union-attr]
    msg["To"] = ", ".join(channel.recipients(notice))
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(domain=spec.sender.rpartition("@")[2])  # type: ignore[union-attr]
    msg["X-Govern-Event"] = notice.kind
    msg["X-Govern-Delivery"] = _one_line(f"{notice.key}@{channel.name}")
    details = json.dumps(notice.details, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    msg.set_content(f"{notice.text}\n\n-- \nSent by `govern notify` (channel {channel.name}).\n"
                    f"Details:\n{details}\n")
    return msg


def _one_line(text: str) -> str:
    """Header values come partly from the store: no line breaks, so no header injection."""
    return " ".join(text.split())


def send(channel: "Channel", notice: "Notice", timeout: float) -> str:
    spec = channel.spec
    msg = message(channel, notice)
    try:
        with smtplib.SMTP(spec.host, spec.port, timeout=timeout) as smtp:  # type: ignore[union-attr]
            smtp.ehlo()
            if spec.starttls:  # type: ignore[union-attr]
                if not smtp.has_extn("starttls"):
                    raise DeliveryError("the server does not offer STARTTLS; nothing sent in clear text", retry=False)
                context = ssl.create_default_context(cafile=str(channel.ca_file) if channel.ca_file else None)
                smtp.starttls(context=context)
                smtp.ehlo()
            if spec.username:  # type: ignore[union-attr]
                smtp.login(spec.username, channel.secrets.get("password_env", ""))  # type: ignore[union-attr]
            refused = smtp.send_message(msg)
    except DeliveryError:
        raise
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        raise DeliveryError(f"SMTP {exc.smtp_code} {' '.join(text.split())}", retry=400 <= exc.smtp_code < 500) from None
    except smtplib.SMTPRecipientsRefused as exc:
        codes = sorted({code for code, _ in exc.recipients.values()})
        raise DeliveryError(f"every recipient refused (SMTP {', '.join(map(str, codes))})",
                            retry=all(400 <= c < 500 for c in codes)) from None
    except ssl.SSLError as exc:  # a certificate that does not verify will not verify on a retry either
        raise DeliveryError(f"TLS failed: {exc.reason or exc}", retry=False) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise DeliveryError(f"SMTP: {exc}", retry=False) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP connection failed: {type(exc).__name__}: {exc}", retry=True) from None
    if refused:
        total = len(channel.recipients(notice))
        return f"accepted for {total - len(refused)} of {total} recipients"
    return "accepted"
