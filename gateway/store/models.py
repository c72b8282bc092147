"""SQLAlchemy models. The schema itself is created by the Alembic migrations.

Statuses are short strings (not database enums) so that a migration is not needed each
time a status is added; the allowed values are listed beside each column.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, BigInteger, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer,
                        String, Text, UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
BigId = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    type_annotation_map = {datetime: DateTime(timezone=True), dict: JSON, list: JSON}


class Reporter(Base):
    """A pseudonymous reporter: never a clear phone number."""
    __tablename__ = "reporters"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(64), unique=True)     # HMAC-SHA256 hex
    number_encrypted: Mapped[str | None] = mapped_column(Text)          # Fernet; None after purge
    language: Mapped[str] = mapped_column(String(2), default="fr")
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    last_area_pcode: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Message(Base):
    """Every inbound and outbound message, whatever its purpose."""
    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("provider", "provider_message_id", name="uq_messages_provider_id"),
                      Index("ix_messages_out_pending", "direction", "status"),
                      # the message log's filtered keyset pages (newest first within a filter)
                      Index("ix_messages_status_id", "status", "id"), Index("ix_messages_kind_id", "kind", "id"),
                      Index("ix_messages_direction_id", "direction", "id"),
                      # the message log's text search: a trigram index on PostgreSQL (see migration 0003_staff_console)
                      Index("ix_messages_body_trgm", "body", postgresql_using="gin",
                            postgresql_ops={"body": "gin_trgm_ops"}))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))           # in | out
    channel: Mapped[str] = mapped_column(String(8), default="sms")  # sms | ussd
    provider: Mapped[str] = mapped_column(String(24))
    provider_message_id: Mapped[str | None] = mapped_column(String(64))
    # in: report | command | keyword; out: receipt | alert | update | reply | follow_up | opt_out | warning | digest
    kind: Mapped[str] = mapped_column(String(16))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("reporters.id"), index=True)
    coordinator_id: Mapped[int | None] = mapped_column(ForeignKey("coordinators.id"))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    body: Mapped[str | None] = mapped_column(Text)              # None after purge
    # in: received | out: queued, sending, accepted (by the provider), sent, delivered, undelivered,
    # failed, replied_inline, suppressed (the reporter opted out before it could be sent)
    status: Mapped[str] = mapped_column(String(16))
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    error_code: Mapped[str | None] = mapped_column(String(32))
    segments: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    in_reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", name="fk_messages_in_reply_to"), index=True)


class Report(Base):
    __tablename__ = "reports"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    channel: Mapped[str] = mapped_column(String(8))             # sms | ussd
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("reporters.id"), index=True)
    language: Mapped[str] = mapped_column(String(2), default="fr")
    text: Mapped[str | None] = mapped_column(Text)              # None after purge
    details: Mapped[dict] = mapped_column(default=dict)         # structured answers (USSD)
    category: Mapped[str | None] = mapped_column(String(32))
    confidence: Mapped[float | None] = mapped_column(Float)
    urgency: Mapped[str | None] = mapped_column(String(8))      # urgent | normal
    places: Mapped[list] = mapped_column(default=list)          # recognised places, most specific first
    region_pcode: Mapped[str | None] = mapped_column(String(16), index=True)
    cercle_pcode: Mapped[str | None] = mapped_column(String(16))
    commune_pcode: Mapped[str | None] = mapped_column(String(16))
    # received -> routed | triage -> acknowledged -> closed
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    processed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", name="fk_reports_incident"),
                                                    index=True)
    alerts: Mapped[list["Alert"]] = relationship(back_populates="report")


class Incident(Base):
    """Reports of one category in one commune (or cercle, when no commune is known) that
    arrive within the corroboration window of the first one: coordinators get one alert,
    then short updates ("3 reports"), not an alert per report."""
    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_lookup", "category", "area_pcode", "first_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    category: Mapped[str] = mapped_column(String(32))
    area_pcode: Mapped[str] = mapped_column(String(16))
    first_reference: Mapped[str] = mapped_column(String(12))     # the report coordinators were alerted about
    report_count: Mapped[int] = mapped_column(Integer)
    first_at: Mapped[datetime]
    last_at: Mapped[datetime]


class Forum(Base):
    """A forum or working group; its subscription (categories x areas) is the routing rule."""
    __tablename__ = "forums"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)   # stable slug
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))                   # forum | working_group | triage
    categories: Mapped[list] = mapped_column(default=list)
    areas: Mapped[list] = mapped_column(default=list)               # P-codes; [] = all of Mali
    language: Mapped[str] = mapped_column(String(2), default="fr")
    ack_within_hours: Mapped[int] = mapped_column(Integer, default=24)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    provider: Mapped[str | None] = mapped_column(String(24))   # its alerts' SMS provider; None = SMS_PROVIDERS
    coordinators: Mapped[list["Coordinator"]] = relationship(back_populates="forum")


class Coordinator(Base):
    """A person who receives alerts. Coordinators' numbers are work numbers, stored in clear."""
    __tablename__ = "coordinators"
    __table_args__ = (UniqueConstraint("forum_id", "phone", name="uq_coordinators_forum_phone"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    forum_id: Mapped[str] = mapped_column(ForeignKey("forums.id"))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20), index=True)      # E.164
    backup: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    forum: Mapped[Forum] = relationship(back_populates="coordinators")


class Alert(Base):
    """One alert per (report, forum, coordinator): the unique key makes routing idempotent."""
    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("report_id", "forum_id", "coordinator_id", name="uq_alerts_target"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"))
    forum_id: Mapped[str] = mapped_column(ForeignKey("forums.id"))
    coordinator_id: Mapped[int] = mapped_column(ForeignKey("coordinators.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    # subscription | triage | urgent_backup | escalation | corroboration
    reason: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))     # pending | acknowledged | closed | escalated
    created_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    report: Mapped[Report] = relationship(back_populates="alerts")


class ReportAction(Base):
    """What a coordinator did about a report by SMS: acknowledge (OK) or close (FIN, with a note)."""
    __tablename__ = "report_actions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    forum_id: Mapped[str] = mapped_column(ForeignKey("forums.id"))
    coordinator_id: Mapped[int] = mapped_column(ForeignKey("coordinators.id"))
    action: Mapped[str] = mapped_column(String(16))      # acknowledge | close
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]


class AuditEvent(Base):
    """Append-only, hash-chained record of staff reads and writes."""
    __tablename__ = "audit_events"
    # A unique prev_hash makes a fork of the chain impossible even if two writers raced.
    __table_args__ = (UniqueConstraint("prev_hash", name="uq_audit_events_prev_hash"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class TrendWarning(Base):
    """An early warning sent for a rise in one category in one area (de-identified: counts only).

    Kept so that the same area and category is not warned again within 7 days; the unique
    key makes a re-run on the same day create nothing twice.
    """
    __tablename__ = "trend_warnings"
    __table_args__ = (UniqueConstraint("category", "area_pcode", "detected_on", name="uq_trend_warnings_area_day"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    category: Mapped[str] = mapped_column(String(32))
    area_pcode: Mapped[str] = mapped_column(String(16))            # a region or cercle P-code
    detected_on: Mapped[date] = mapped_column(Date)
    observed: Mapped[int] = mapped_column(Integer)                  # reporters in the last 7 days
    expected: Mapped[float] = mapped_column(Float)                  # the area's own baseline
    threshold: Mapped[float] = mapped_column(Float)
    forum_ids: Mapped[list] = mapped_column(default=list)           # who was warned ([] = nobody subscribed)
    created_at: Mapped[datetime] = mapped_column(index=True)


class TrendDigest(Base):
    """A weekly digest sent to a working group: one per (group, ISO week)."""
    __tablename__ = "trend_digests"
    __table_args__ = (UniqueConstraint("forum_id", "week_start", name="uq_trend_digests_forum_week"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    forum_id: Mapped[str] = mapped_column(ForeignKey("forums.id"))
    week_start: Mapped[date] = mapped_column(Date)                  # the Monday of the week summarised
    messages: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]


class StaffUser(Base):
    """A person who signs in to the staff console or uses the JSON API."""
    __tablename__ = "staff_users"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)          # stored lower-case
    password_hash: Mapped[str] = mapped_column(String(200))               # argon2id
    role: Mapped[str] = mapped_column(String(16))                         # admin | auditor | coordinator
    language: Mapped[str] = mapped_column(String(2), default="fr")        # console language: fr | en
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]


class StaffForum(Base):
    """The forums a coordinator account may read; other roles have none."""
    __tablename__ = "staff_forums"
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), primary_key=True)
    forum_id: Mapped[str] = mapped_column(ForeignKey("forums.id"), primary_key=True)


class ApiToken(Base):
    """A bearer token for /api/v1/: only its SHA-256 is stored; the token is shown once."""
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class ReportCorrection(Base):
    """A staff correction of a report's category or place (triage); also training data."""
    __tablename__ = "report_corrections"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    at: Mapped[datetime]
    text: Mapped[str | None] = mapped_column(Text)             # the report text as corrected; None after purge
    old_category: Mapped[str | None] = mapped_column(String(32))
    new_category: Mapped[str | None] = mapped_column(String(32))
    old_region_pcode: Mapped[str | None] = mapped_column(String(16))
    new_region_pcode: Mapped[str | None] = mapped_column(String(16))
    old_cercle_pcode: Mapped[str | None] = mapped_column(String(16))
    new_cercle_pcode: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(500))


class RelayDevice(Base):
    """A relay phone (SMS Gateway for Android) and when it last called us: its health.

    One row per app installation (the webhook's deviceId), so that two phones (an Orange and a
    Moov SIM) are watched separately. `silence_alerted_at` is set when staff were told it went
    silent and cleared by its next call: one alert per silence.
    """
    __tablename__ = "relay_devices"
    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime] = mapped_column(index=True)
    silence_alerted_at: Mapped[datetime | None]
