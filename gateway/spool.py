"""The disk spool: where an inbound message waits while the database is unreachable (DESIGN §5).

One file per entry, written so that a crash at any instant leaves either no entry or a
whole one: the bytes go to a temporary file in spool/tmp/, are fsynced, then hard-linked
into place (an atomic rename that never overwrites) and the directory is fsynced. Entries
are only ever created and deleted, never changed.

An entry holds a reporter's number and words, so it is encrypted with the Fernet
NUMBER_KEY: nothing personal lies on disk in clear. File names are a hash of the entry's
idempotency key (e.g. the provider's message id), so a provider retrying the same message
during an outage finds the entry it left the first time.

    spool = Spool.from_config(config)
    payload = spool.put("sms", "twilio:SM123", {"reference": "K7MXA3", ...})   # first writer wins
    for name in spool.names(): entry = spool.read(name); ...; spool.remove(name)
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from cryptography.fernet import Fernet, InvalidToken

from gateway.config import Config
from gateway.errors import ConfigError, GatewayError

SUFFIX = ".entry"
STALE_TMP_SECONDS = 3600        # a temporary file this old was left by a crash mid-write


class SpoolUnavailable(GatewayError):
    """The spool cannot take an entry (disk full, permissions): the message is not durable."""


class UnreadableEntry(GatewayError):
    """An entry that cannot be decrypted or parsed (wrong NUMBER_KEY, damaged disk)."""


@dataclass(frozen=True)
class SpoolEntry:
    name: str
    kind: str
    key: str
    payload: dict
    spooled_at: float


@dataclass(frozen=True)
class SpoolStats:
    entries: int
    bytes: int
    oldest_age_seconds: float
    quarantined: int


class Spool:
    def __init__(self, directory: Path, number_key: bytes):
        self.directory = Path(directory)
        self.tmp_dir = self.directory / "tmp"
        self.quarantine_dir = self.directory / "quarantine"
        self._fernet = Fernet(number_key)

    @classmethod
    def from_config(cls, config: Config) -> "Spool":
        return cls(config.spool_path, config.number_key)

    def check_writable(self) -> None:
        """Create the directories and prove a file can be written, synced and removed."""
        try:
            for directory in (self.directory, self.tmp_dir, self.quarantine_dir):
                directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, probe = tempfile.mkstemp(dir=self.tmp_dir, prefix="probe-")
            os.write(fd, b"ok")
            os.fsync(fd)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise ConfigError(f"spool directory {self.directory} is not writable ({exc.strerror}); "
                              "set SPOOL_DIR to a writable directory") from exc

    def put(self, kind: str, key: str, payload: dict) -> dict:
        """Make the entry durable; return the payload now on disk (an earlier one for the same key)."""
        final = self.directory / entry_name(kind, key)
        if final.exists():
            return self.read(final.name).payload
        record = {"kind": kind, "key": key, "payload": payload, "spooled_at": time.time()}
        try:
            tmp = self._write_tmp(self._fernet.encrypt(json.dumps(record).encode()))
            try:
                os.link(tmp, final)          # atomic, and refuses to replace an existing entry
            except FileExistsError:
                return self.read(final.name).payload
            finally:
                os.unlink(tmp)
            _fsync_dir(self.directory)
        except OSError as exc:
            raise SpoolUnavailable(f"spool write failed: {exc.strerror}") from exc
        return payload

    def names(self) -> list[str]:
        """Entry file names, oldest first."""
        entries = []
        for path in self.directory.glob(f"*{SUFFIX}"):
            with contextlib.suppress(FileNotFoundError):
                entries.append((path.stat().st_mtime_ns, path.name))
        return [name for _, name in sorted(entries)]

    def read(self, name: str) -> SpoolEntry:
        try:
            record = json.loads(self._fernet.decrypt((self.directory / name).read_bytes()))
            return SpoolEntry(name=name, kind=record["kind"], key=record["key"], payload=record["payload"],
                              spooled_at=record["spooled_at"])
        except (InvalidToken, ValueError, KeyError, TypeError) as exc:
            raise UnreadableEntry(f"spool entry {name} is unreadable ({type(exc).__name__})") from exc

    def remove(self, *names: str) -> None:
        for name in names:
            with contextlib.suppress(FileNotFoundError):   # another drainer removed it first
                (self.directory / name).unlink()
        _fsync_dir(self.directory)                         # once for all of them

    def quarantine(self, name: str) -> None:
        """Set an entry aside (never deleted): a person must look at it."""
        self.quarantine_dir.mkdir(exist_ok=True, mode=0o700)
        with contextlib.suppress(FileNotFoundError):
            os.replace(self.directory / name, self.quarantine_dir / name)
        _fsync_dir(self.directory)

    @contextlib.contextmanager
    def drain_lock(self) -> Iterator[bool]:
        """One drainer per host at a time; yields False when another holds it (or it cannot be made)."""
        try:
            handle = open(self.directory / ".drain.lock", "a")
        except OSError:
            yield False
            return
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                yield False
                return
            yield True

    def remove_stale_tmp(self, now: float | None = None) -> None:
        """Temporary files are linked and removed at once; an old one is a crash's leftover."""
        now = time.time() if now is None else now
        for path in self.tmp_dir.glob("*"):
            with contextlib.suppress(FileNotFoundError):
                if now - path.stat().st_mtime > STALE_TMP_SECONDS:
                    path.unlink()

    def stats(self, now: float | None = None) -> SpoolStats:
        now = time.time() if now is None else now
        sizes, oldest = 0, now
        names = self.names()
        for name in names:
            with contextlib.suppress(FileNotFoundError):
                stat = (self.directory / name).stat()
                sizes += stat.st_size
                oldest = min(oldest, stat.st_mtime)
        quarantined = sum(1 for _ in self.quarantine_dir.glob(f"*{SUFFIX}")) if self.quarantine_dir.exists() else 0
        return SpoolStats(entries=len(names), bytes=sizes, oldest_age_seconds=max(0.0, now - oldest),
                          quarantined=quarantined)

    def _write_tmp(self, data: bytes) -> str:
        self.tmp_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=self.tmp_dir, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            os.unlink(tmp)
            raise
        return tmp


def entry_name(kind: str, key: str) -> str:
    """A stable, non-identifying file name for an idempotency key."""
    return f"{kind}-{hashlib.sha256(f'{kind}:{key}'.encode()).hexdigest()[:40]}{SUFFIX}"


def entry_kind(name: str) -> str:
    """The kind an entry_name() was made for, read from the name alone."""
    return name.split("-", 1)[0]


def _fsync_dir(directory: Path) -> None:
    """The new (or removed) directory entry itself must survive a power cut."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
