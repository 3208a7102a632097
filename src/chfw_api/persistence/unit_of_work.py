"""The SQLAlchemy unit of work: one session, one transaction, repositories bound to it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session, sessionmaker

from chfw_api.persistence.database import IMMEDIATE
from chfw_api.persistence.repositories.hubs import HubRepository
from chfw_api.persistence.repositories.parties import PartyRepository
from chfw_api.persistence.repositories.releases import ReleaseRepository


class SqlAlchemyUnitOfWork:
    parties: PartyRepository
    hubs: HubRepository
    releases: ReleaseRepository

    def __init__(self, session_factory: sessionmaker[Session], *, read_only: bool = False) -> None:
        self._session_factory = session_factory
        self._read_only = read_only
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its `with` block")
        return self._session

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("unit of work is not re-entrant")
        self._session = self._session_factory()
        if not self._read_only:
            # Begin now, as a writer (BEGIN IMMEDIATE on SQLite; a no-op option elsewhere).
            self._session.connection(execution_options={IMMEDIATE: True})
        self.parties = PartyRepository(self._session)
        self.hubs = HubRepository(self._session)
        self.releases = ReleaseRepository(self._session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()
            self._session = None

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
