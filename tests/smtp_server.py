"""A real SMTP server for tests (aiosmtpd on a free 127.0.0.1 port) that keeps what arrives."""

import asyncio
import email
import email.policy
import socket
import threading
from dataclasses import replace

from aiosmtpd.controller import Controller

from forum.config import Settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RecordingHandler:
    """Accepts mail and keeps each message, or rejects the next ones with a chosen reply."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        # Replies to give, in order, before accepting again, such as "451 try again later".
        self.refusals: list[str] = []
        # When set, the next message is held open without a reply, so a test can kill the
        # sender mid-send. ``holding`` is set once that message has arrived.
        self.hold_next = False
        self.holding = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if self.hold_next:
            self.hold_next = False
            self.holding.set()
            await asyncio.sleep(60)
            return "451 Held too long"
        if self.refusals:
            return self.refusals.pop(0)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self) -> None:
        self.handler = RecordingHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self):
        return self.handler.messages

    def settings(self, settings: Settings) -> Settings:
        return replace(settings, smtp_host="127.0.0.1", smtp_port=self.port, smtp_starttls=False)

    def env(self) -> dict[str, str]:
        return {
            "FORUM_SMTP_HOST": "127.0.0.1",
            "FORUM_SMTP_PORT": str(self.port),
            "FORUM_SMTP_STARTTLS": "false",
        }
