"""Wires real adapters from Settings, explicitly; nothing here runs at import time."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from chfw_api.config import Settings
from chfw_api.domain.alerts import AlertEnvelope
from chfw_api.domain.clock import Clock, SystemClock
from chfw_api.domain.email_render import Sender
from chfw_api.duis.alert_signing import BodySigner, make_body_signer
from chfw_api.duis.alerts import render_alert
from chfw_api.duis.signature import certificate_problem
from chfw_api.gateway.xml import render_file
from chfw_api.mail.addresses import normalised_address
from chfw_api.persistence.database import make_engine, make_session_factory
from chfw_api.persistence.unit_of_work import SqlAlchemyUnitOfWork
from chfw_api.services import consequences


@dataclass
class Container:
    """Everything a process needs, built once per process and passed down."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    clock: Clock = field(default_factory=SystemClock)

    def uow(self, *, read_only: bool = False) -> SqlAlchemyUnitOfWork:
        """A unit of work; read-only ones never take SQLite's write lock."""
        return SqlAlchemyUnitOfWork(
            self.session_factory,
            read_only=read_only,
            render=self.render_alert,
            originator=self.settings.dcc_user_id,
            handle=consequences.handle,  # the one handler table (docs/architecture.md)
            render_file=render_file,  # gateway files to CSPs, rendered by the gateway adapter
            certificate_problem=certificate_problem,  # suppliers' signing certificates (DUIS)
            email_address=normalised_address,  # email contacts' addresses (email-validator)
            email_sender=Sender(self.settings.email_from, self.settings.email_from_name),
        )

    def render_alert(self, envelope: AlertEnvelope) -> bytes:
        return render_alert(envelope, check=self.settings.validate_alerts)

    @cached_property
    def alert_body_signer(self) -> BodySigner | None:
        """DCC's XML signer for alert bodies (webhooks and feed), or None when no key is set;
        the key is read and checked on first use, once per process."""
        key_file = self.settings.dcc_signing_key_file
        cert_file = self.settings.dcc_signing_cert_file
        if key_file is None or cert_file is None:
            return None
        try:
            return make_body_signer(key_file.read_bytes(), cert_file.read_bytes())
        except (OSError, ValueError, TypeError) as exc:  # TypeError: an encrypted key
            raise ValueError(
                f"DCC signing key {key_file} / certificate {cert_file} unusable: {exc}"
            ) from exc

    def dispose(self) -> None:
        self.engine.dispose()


def build(settings: Settings, *, clock: Clock | None = None) -> Container:
    engine = make_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    return Container(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        clock=clock or _clock(settings),
    )


def _clock(settings: Settings) -> Clock:
    if settings.clock_file is None:
        return SystemClock()
    from chfw_api.clock_file import OffsetFileClock  # the demo's shared accelerated clock

    return OffsetFileClock(settings.clock_file)
