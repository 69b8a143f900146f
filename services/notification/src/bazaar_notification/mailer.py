"""The SMTP adapter: hands one stored message to an SMTP server (the `smtp` delivery setting).

`smtplib` is blocking, so each send runs in a worker thread. The message's id is its
`Message-ID`, so a resend after a crash between sending and recording is recognisable downstream.
"""

from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime

from bazaar_notification.domain import Message


@dataclass(frozen=True, slots=True)
class SmtpMailer:
    host: str
    port: int
    from_address: str
    timeout_seconds: float = 10.0

    def email(self, message: Message) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.from_address
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Date"] = format_datetime(message.sent_at)
        email["Message-ID"] = f"<{message.id}@bazaar.notification>"
        email.set_content(message.body)
        return email

    def _send(self, message: Message) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout_seconds) as smtp:
            smtp.send_message(self.email(message))

    async def send(self, message: Message) -> None:
        """Deliver or raise (`OSError`, `smtplib.SMTPException`): the caller retries."""
        await asyncio.to_thread(self._send, message)
