"""Where obtained tokens live: ``<user state dir>/orderupd-tui/credentials.json``, and nowhere else.

The file holds, per store or backend (``accounting:quickbooks``), the
tokens and their expiry, and nothing else.  It is mode 0600, and every
change is made under an exclusive lock on a lock file beside it and
written atomically (a temp file, fsync, rename, fsync of the folder), so
a crash never leaves half a file and a reader never sees one.

Refresh tokens rotate: using one may invalidate it.  So a refresh is done
*inside* :meth:`CredentialStore.update`: a second process that wanted to
refresh at the same moment waits for the lock, re-reads the file, finds
the fresh token, and never sends the rotated-out one.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from orderupd_tui import paths
from orderupd_tui.net.oauth import Fetch, Token

FILE = "credentials.json"


@dataclass(frozen=True)
class Stored:
    """One entry of the file.  Times are ``time.time()`` seconds."""

    access_token: str = ""
    expires_at: float = 0.0
    refresh_token: str = ""
    refresh_obtained_at: float = 0.0
    realm_id: str = ""
    tenant_id: str = ""

    @classmethod
    def from_json(cls, data: Any) -> Stored:
        if not isinstance(data, dict):
            return cls()
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


class CredentialsUnreadable(Exception):
    """The file exists but cannot be read as ours; the message is one line."""


class CredentialStore:
    """The credentials file; ``path`` defaults to the user state dir's."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.state_dir() / FILE

    def get(self, key: str) -> Stored | None:
        """The entry for ``key``, read without the lock (a rename is atomic)."""
        entry = self._read().get(key)
        return None if entry is None else Stored.from_json(entry)

    def update(self, key: str, change: Callable[[Stored | None], Stored | None]) -> Stored | None:
        """Under the lock: read ``key``'s entry, let ``change`` make the new one, write it.

        ``change`` may do network I/O (a refresh): other processes wait for
        it.  It returns the entry to keep (the same object: nothing is
        written), or None to delete the entry.
        """
        with self._locked():
            entries = self._read()
            old = Stored.from_json(entries[key]) if key in entries else None
            new = change(old)
            if new is old:
                return new
            if new is None:
                entries.pop(key, None)
            else:
                entries[key] = asdict(new)
            self._write(entries)
            return new

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path.with_name(FILE + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _read(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            raise CredentialsUnreadable(f"cannot read {self.path}: {exc}") from None
        try:
            data = json.loads(text)
        except ValueError:
            raise CredentialsUnreadable(f"{self.path} is not JSON: remove it and run "
                                        "orderupd-tui connect again") from None
        entries = data.get("entries") if isinstance(data, dict) else None
        return dict(entries) if isinstance(entries, dict) else {}

    def _write(self, entries: dict[str, Any]) -> None:
        folder = self.path.parent
        fd, temp = tempfile.mkstemp(prefix=".credentials-", dir=folder)  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"version": 1, "entries": entries}, out, indent=1, sort_keys=True)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temp, 0o600)
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def cached(fetch: Fetch, store: CredentialStore, key: str) -> Fetch:
    """``fetch`` (a client credentials grant) with its tokens kept in the file under ``key``.

    Every process then shares one token until it is due, instead of asking
    for a new one each run; a token a 401 refused (``stale``) is replaced.
    """

    def shared(stale: str | None) -> Token:
        def change(old: Stored | None) -> Stored | None:
            if old is not None and old.access_token and old.access_token != stale \
                    and time.time() < old.expires_at:
                return old
            token = fetch(stale)
            return Stored(access_token=token.access_token, expires_at=token.expires_at)

        entry = store.update(key, change)
        assert entry is not None
        return Token(entry.access_token, entry.expires_at)

    return shared
