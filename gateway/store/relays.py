"""Relay phones' check-ins and silence alerts (models.RelayDevice)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.store.db import hot_statement
from gateway.store.models import RelayDevice

_DEVICES = RelayDevice.__table__


@hot_statement
def _check_in_upsert(insert):
    """A first call inserts the device; any later call moves its time and ends its silence."""
    statement = insert(_DEVICES)
    return statement.on_conflict_do_update(
        index_elements=[_DEVICES.c.device_id],
        set_={"last_seen_at": statement.excluded.last_seen_at, "silence_alerted_at": None})


def check_in(session: Session, device_id: str, now: datetime) -> None:
    session.connection().execute(_check_in_upsert(session), {
        "device_id": device_id, "first_seen_at": now, "last_seen_at": now, "silence_alerted_at": None})


def claim_newly_silent(session: Session, silent_since: datetime, now: datetime) -> list[tuple[str, datetime]]:
    """Devices not heard from since `silent_since` and not yet reported: mark them reported.

    A compare-and-set, so two sweeps at once cannot both alert; returns (device id, last seen).
    """
    rows = session.execute(
        update(RelayDevice).where(RelayDevice.last_seen_at <= silent_since, RelayDevice.silence_alerted_at.is_(None))
        .values(silence_alerted_at=now).returning(RelayDevice.device_id, RelayDevice.last_seen_at))
    return sorted((device_id, last_seen) for device_id, last_seen in rows)


def last_check_ins(session: Session) -> list[tuple[str, datetime, bool]]:
    """(device id, last seen, reported silent) for every relay phone ever seen."""
    rows = session.execute(select(RelayDevice.device_id, RelayDevice.last_seen_at,
                                  RelayDevice.silence_alerted_at.is_not(None)).order_by(RelayDevice.device_id))
    return [(device_id, last_seen, bool(alerted)) for device_id, last_seen, alerted in rows]
