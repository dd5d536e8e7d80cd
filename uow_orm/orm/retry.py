"""Retrying a unit of work on serialization failures and deadlocks: ``run_transaction``.

Each attempt runs in a fresh session from the factory, so no
object state of a failed attempt leaks into the next; what is retried and what is not is
decided by where the error happened (see ``run_transaction``).

Called by: applications (``uow_orm.orm.retry``).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from .. import exc

if TYPE_CHECKING:
    from .session import Session

log = logging.getLogger("uow_orm.engine")

_T = TypeVar("_T")

#: SQLSTATEs that mean "the database rolled the transaction back; run it again".
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


def _retryable(err: exc.DBAPIError, *, committing: bool) -> bool:
    if err.code in RETRYABLE_SQLSTATES:
        return True
    # A connection lost before COMMIT was sent lost nothing that was committed.
    return err.connection_invalidated and not committing


def run_transaction(
    factory: Callable[[], Session],
    fn: Callable[[Session], _T],
    *,
    max_retries: int = 5,
    backoff: float = 0.05,
    max_backoff: float = 2.0,
) -> _T:
    """Run ``fn(session)`` in a transaction of a new session and commit; on a
    serialization failure (SQLSTATE 40001) or a deadlock (40P01), or a connection lost
    before COMMIT was sent, roll back and run it again in another new session, up to
    ``max_retries`` more times, sleeping a jittered, doubling ``backoff`` (at most
    ``max_backoff`` seconds) in between. Returns what ``fn`` returned.

    A connection lost *while* COMMIT was on its way is not retried: the transaction may
    or may not have committed, and running it again could apply it twice. That raises
    ``exc.AmbiguousCommitError`` (with the driver error as ``__cause__``); make ``fn``
    idempotent, or check what was written, before trying again yourself.

    ``fn`` may run several times: keep side effects other than database writes out of
    it.
    """
    if max_retries < 0 or backoff < 0 or max_backoff < 0:
        raise exc.ArgumentError("max_retries, backoff and max_backoff must be >= 0")
    attempt = 0
    while True:
        committing = False
        session = factory()
        try:
            with session:
                result = fn(session)
                session.flush()
                committing = True
                session.commit()
                return result
        except exc.DBAPIError as err:
            if committing and err.connection_invalidated and err.code not in RETRYABLE_SQLSTATES:
                raise exc.AmbiguousCommitError(
                    "the connection was lost while COMMIT was being sent: the transaction "
                    "may or may not have been committed, so it is not retried"
                ) from err
            if not _retryable(err, committing=committing) or attempt >= max_retries:
                raise
            attempt += 1
            delay = min(max_backoff, backoff * (2 ** (attempt - 1))) * random.uniform(0.5, 1.0)
            log.info(
                "transaction attempt %d failed (%s); retrying in %.3f s", attempt, err.code, delay
            )
            time.sleep(delay)


__all__ = ["RETRYABLE_SQLSTATES", "run_transaction"]
