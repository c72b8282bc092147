"""Read and validate a forums file (DESIGN §3) into plain data, before anything is stored."""
from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from gateway.categories import CATEGORIES
from gateway.errors import GatewayError, InvalidNumber
from gateway.phone import normalise_number

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
PCODE = re.compile(r"^ML\d{2}(\d{2}){0,3}$")
LANGUAGES = ("fr", "bm", "en")
TRIAGE_ID = "triage"


class ForumsFileError(GatewayError):
    """The forums file cannot be loaded; the message names the entry at fault."""


@dataclass(frozen=True)
class CoordinatorSpec:
    name: str
    phone: str
    backup: bool


@dataclass(frozen=True)
class ForumSpec:
    id: str
    name: str
    kind: str
    categories: tuple[str, ...]
    areas: tuple[str, ...]
    language: str
    ack_within_hours: int
    coordinators: tuple[CoordinatorSpec, ...]
    provider: str | None = None     # this forum's alerts go through it first (README "Failover")


def parse_forums_file(text: str) -> list[ForumSpec]:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ForumsFileError(f"not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ForumsFileError("the file must be a mapping with 'forums' and 'triage'")
    forums = [_forum(entry, index) for index, entry in enumerate(data.get("forums") or [])]
    ids = [forum.id for forum in forums]
    if len(ids) != len(set(ids)):
        raise ForumsFileError("forum ids must be unique")
    if "triage" in data:
        forums.append(_triage(data["triage"]))
    return forums


def parse_forum_entry(entry: dict) -> ForumSpec:
    """One forum as the staff console's editor submits it, checked like a file entry."""
    return _forum(entry, 0)


def _forum(entry: dict, index: int) -> ForumSpec:
    where = f"forums[{index}]"
    if not isinstance(entry, dict):
        raise ForumsFileError(f"{where}: must be a mapping")
    forum_id = str(entry.get("id", ""))
    if not SLUG.match(forum_id) or forum_id == TRIAGE_ID:
        raise ForumsFileError(f"{where}: id must be a lower-case slug (not 'triage'), got {forum_id!r}")
    where = f"forum {forum_id}"
    kind = entry.get("kind", "forum")
    if kind not in ("forum", "working_group"):
        raise ForumsFileError(f"{where}: kind must be forum or working_group")
    return ForumSpec(
        id=forum_id, name=_required(entry, "name", where), kind=kind,
        categories=_categories(entry.get("categories"), where),
        areas=_areas(entry.get("areas") or [], where),
        language=_language(entry.get("language", "fr"), where),
        ack_within_hours=_hours(entry.get("ack_within_hours", 24), where),
        coordinators=_coordinators(entry.get("coordinators") or [], where),
        provider=_provider(entry.get("provider"), where),
    )


def _triage(entry: dict) -> ForumSpec:
    if not isinstance(entry, dict):
        raise ForumsFileError("triage: must be a mapping with 'coordinators'")
    return ForumSpec(id=TRIAGE_ID, name=entry.get("name", "Triage"), kind="triage", categories=(),
                     areas=(), language=_language(entry.get("language", "fr"), "triage"),
                     ack_within_hours=_hours(entry.get("ack_within_hours", 12), "triage"),
                     coordinators=_coordinators(entry.get("coordinators") or [], "triage"),
                     provider=_provider(entry.get("provider"), "triage"))


def _required(entry: dict, key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ForumsFileError(f"{where}: '{key}' is required")
    return value.strip()


def _categories(values, where: str) -> tuple[str, ...]:
    if not isinstance(values, list) or not values:
        raise ForumsFileError(f"{where}: 'categories' must be a non-empty list")
    unknown = [value for value in values if value not in CATEGORIES]
    if unknown:
        raise ForumsFileError(f"{where}: unknown categories {unknown}; known: {', '.join(CATEGORIES)}")
    return tuple(values)


def _areas(values, where: str) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) and PCODE.match(v) for v in values):
        raise ForumsFileError(f"{where}: 'areas' must be a list of P-codes like ML0104")
    return tuple(values)


def _language(value, where: str) -> str:
    if value not in LANGUAGES:
        raise ForumsFileError(f"{where}: language must be one of {', '.join(LANGUAGES)}")
    return value


def _hours(value, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 24 * 30:
        raise ForumsFileError(f"{where}: ack_within_hours must be a whole number of hours (1-720)")
    return value


def _provider(value, where: str) -> str | None:
    if value is None:
        return None
    from gateway.providers import provider_names   # the registry, only when a file names a provider

    if value not in provider_names():
        raise ForumsFileError(f"{where}: provider must be one of {', '.join(provider_names())}, not {value!r}")
    return value


def _coordinators(values, where: str) -> tuple[CoordinatorSpec, ...]:
    if not isinstance(values, list):
        raise ForumsFileError(f"{where}: 'coordinators' must be a list")
    specs = []
    for index, entry in enumerate(values):
        if not isinstance(entry, dict):
            raise ForumsFileError(f"{where}: coordinators[{index}] must be a mapping")
        try:
            phone = normalise_number(str(entry.get("phone", "")))
        except InvalidNumber as exc:
            raise ForumsFileError(f"{where}: coordinators[{index}]: {exc}") from exc
        specs.append(CoordinatorSpec(name=_required(entry, "name", f"{where}: coordinators[{index}]"),
                                     phone=phone, backup=bool(entry.get("backup", False))))
    return tuple(specs)
