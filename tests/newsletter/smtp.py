"""A real SMTP server for tests: aiosmtpd on a free port that records what it accepts and
misbehaves on request (temporary and permanent refusals, dropped connections, slowness)."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    """One message the server accepted (answered 250 to)."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    peer: tuple[str, int]  # the client's address: one per SMTP connection

    def parse(self) -> EmailMessage:
        message = BytesParser(policy=policy.default).parsebytes(self.data)
        assert isinstance(message, EmailMessage)
        return message


# What a hook sees: the 1-based number of the DATA command (over all connections) and the
# envelope. It returns None to let the message through, or an SMTP reply to send instead (the
# message is then not accepted).
Hook = Callable[[int, Any], "str | None"]


class Handler:
    """aiosmtpd handler: records accepted messages; faults are injected with the methods."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[Received] = []
        self.data_commands = 0  # DATA commands seen, accepted or not
        self.rcpt_commands = 0
        self.transient: dict[str, int] = {"DATA": 0, "RCPT": 0}
        self.transient_code = "451 4.3.0 Try again later"
        self.permanent: dict[str, str] = {}
        self.drop_at: set[int] = set()
        self.drop_after_accepting_at: set[int] = set()
        self.delay = 0.0
        # Letters wait (up to 30 s) until this many connections have greeted the server: a
        # test of several senders makes sure they overlap, however slowly each one starts.
        self.hold_until_connections = 0
        self.greeted: set[Any] = set()
        self.hook: Hook | None = None
        self.accepted_event = threading.Event()
        self.wait_for = 0
        # Like Postfix, offer PIPELINING (RFC 2920), so the sender's two-round-trip path runs;
        # False makes the sender fall back to smtplib's one command at a time.
        self.pipelining = True

    # Faults -------------------------------------------------------------------------------

    def fail_next(self, count: int, *, command: str = "DATA", reply: str = "") -> None:
        """Answer the next ``count`` DATA (or RCPT) commands with a 4xx reply."""
        with self.lock:
            self.transient[command] = count
            if reply:
                self.transient_code = reply

    def refuse(self, addresses: Iterable[str], reply: str = "550 5.1.1 No such user") -> None:
        """Refuse these recipients for good at RCPT."""
        with self.lock:
            for address in addresses:
                self.permanent[address.lower()] = reply

    def drop_connection_at(self, *numbers: int, after_accepting: bool = False) -> None:
        """Close the connection, without a reply, on these DATA commands (1-based, counted
        over all connections): the client has sent the message and hears nothing back.
        ``after_accepting``: the server keeps (delivers) the message all the same."""
        with self.lock:
            (self.drop_after_accepting_at if after_accepting else self.drop_at).update(numbers)

    # Reading ------------------------------------------------------------------------------

    def received(self) -> list[Received]:
        with self.lock:
            return list(self.messages)

    def per_recipient(self) -> Counter[str]:
        return Counter(rcpt.lower() for message in self.received() for rcpt in message.rcpt_tos)

    def wait_until(self, count: int, timeout: float = 30.0) -> bool:
        """Block until ``count`` messages have been accepted."""
        with self.lock:
            self.wait_for = count
            if len(self.messages) >= count:
                return True
            self.accepted_event.clear()
        return self.accepted_event.wait(timeout)

    # aiosmtpd hooks -----------------------------------------------------------------------

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        with self.lock:
            self.greeted.add(session.peer)
        if self.pipelining:
            return [*responses[:-1], "250-PIPELINING", responses[-1]]
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        with self.lock:
            self.rcpt_commands += 1
            refusal = self.permanent.get(address.lower())
            if refusal is None and self.transient["RCPT"] > 0:
                self.transient["RCPT"] -= 1
                refusal = self.transient_code
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.data_commands += 1
            number = self.data_commands
            drop = number in self.drop_at
            drop_after = number in self.drop_after_accepting_at
            transient = self.transient["DATA"] > 0
            if transient and not drop:
                self.transient["DATA"] -= 1
        waited = 0.0
        while len(self.greeted) < self.hold_until_connections and waited < 30:
            await asyncio.sleep(0.02)
            waited += 0.02
        if self.delay:
            await asyncio.sleep(self.delay)
        if drop:
            server.transport.close()
            return "421 4.4.2 Connection dropped"
        if transient:
            return self.transient_code
        if self.hook is not None:
            reply = self.hook(number, envelope)
            if reply is not None:
                return reply
        data = envelope.original_content or envelope.content
        peer = tuple(session.peer[:2]) if session.peer else ("", 0)
        with self.lock:
            self.messages.append(
                Received(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(data), peer)
            )
            if self.wait_for and len(self.messages) >= self.wait_for:
                self.accepted_event.set()
        if drop_after:
            server.transport.close()
            return "421 4.4.2 Connection dropped"
        return "250 2.0.0 Message accepted for delivery"


class _Controller(Controller):
    """Binds port 0 and learns the port the system gave it before aiosmtpd connects to it."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpServer:
    """A running test SMTP server at ``host``:``port``; faults through ``handler``."""

    def __init__(self) -> None:
        self.handler = Handler()
        self.controller = _Controller(
            self.handler,
            hostname="127.0.0.1",
            port=0,
            server_hostname="mx.test.invalid",
            enable_SMTPUTF8=True,
        )
        self.host = "127.0.0.1"
        self.port = 0

    def start(self) -> SmtpServer:
        self.controller.start()
        self.port = self.controller.port
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def received(self) -> list[Received]:
        return self.handler.received()

    def per_recipient(self) -> Counter[str]:
        return self.handler.per_recipient()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
