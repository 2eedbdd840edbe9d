"""The Bot Framework's token signing keys, fetched without ever blocking the event loop.

botbuilder 4.17 validates a bearer token with keys it fetches through `_OpenIdMetadata`: a
synchronous `requests.get` without a timeout, on the event loop, retried on every request while
it fails. `SigningKeys` does that fetch with aiohttp and a timeout, keeps the keys, refreshes
them in the background once they are old, and after a failed fetch waits (with back-off) before
the next one, so a stream of forged tokens cannot make it fetch for each request. `KeyRing`
hands one `SigningKeys` per metadata URL to botbuilder's `JwtTokenExtractor` for as long as the
app runs (see `KeyRing.installed`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from botframework.connector.auth import JwtTokenExtractor
from jwt.algorithms import RSAAlgorithm

logger = logging.getLogger(__name__)

# the whole fetch (metadata and key set); a request waiting for keys gets 401 after it
FETCH_TIMEOUT_SECONDS = 5.0
# Microsoft rolls its keys over days; botbuilder refetches daily, we a little sooner
REFRESH_AFTER_SECONDS = 12 * 3600.0
# a token with a key id we do not know refetches at most this often (forged ones are common)
UNKNOWN_KEY_REFETCH_SECONDS = 300.0
# after a failed fetch: wait this long, doubling with each failure, up to the cap
BACKOFF_FIRST_SECONDS = 5.0
BACKOFF_CAP_SECONDS = 300.0


class SigningKeyUnavailable(PermissionError):
    """No key to check this token with: unknown key id, or the keys cannot be fetched now."""


@dataclass(frozen=True)
class SigningKey:
    """What botbuilder's `JwtTokenExtractor` reads of a key: the key and its endorsements."""

    public_key: Any
    endorsements: list[str] = field(default_factory=list)


def _parse_keys(document: Any) -> dict[str, SigningKey]:
    keys: dict[str, SigningKey] = {}
    for jwk in document.get("keys", []) if isinstance(document, dict) else []:
        if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str):
            continue
        try:
            public_key = RSAAlgorithm.from_jwk(json.dumps(jwk))
        except Exception:  # a key we cannot read is one we cannot check with
            logger.warning("signing keys: skipped an unreadable key %s", jwk.get("kid"))
            continue
        endorsements = jwk.get("endorsements") or []
        keys[jwk["kid"]] = SigningKey(public_key, [str(e) for e in endorsements])
    return keys


class SigningKeys:
    """The keys published at one OpenID metadata URL (its `jwks_uri`), cached."""

    def __init__(
        self,
        url: str,
        *,
        session: aiohttp.ClientSession,
        timeout: float = FETCH_TIMEOUT_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._session = session
        self._timeout = timeout
        self._monotonic = monotonic
        self._keys: dict[str, SigningKey] = {}
        self._fetched_at: float | None = None
        self._not_before = float("-inf")  # no fetch starts before this
        self._failures = 0
        self._fetching: asyncio.Task[None] | None = None
        self.fetches = 0  # how many fetches started (for the logs and the tests)

    async def get(self, key_id: str | None) -> SigningKey:
        """The key with this id; fetched (once, for everyone waiting) when not known yet."""
        now = self._monotonic()
        if self._fetched_at is not None and now - self._fetched_at > REFRESH_AFTER_SECONDS:
            self._start_fetch()  # old keys still serve while new ones come
        key = self._keys.get(key_id) if key_id else None
        if key is not None:
            return key
        if not key_id:
            raise SigningKeyUnavailable("the token names no signing key")
        if self._fetched_at is not None and now - self._fetched_at < UNKNOWN_KEY_REFETCH_SECONDS:
            raise SigningKeyUnavailable("unknown signing key")
        fetching = self._start_fetch()
        if fetching is not None:
            # shielded: one caller giving up must not end the fetch for the others
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(fetching), self._timeout)
        key = self._keys.get(key_id)
        if key is None:
            raise SigningKeyUnavailable("no signing key to check the token with")
        return key

    def _start_fetch(self) -> asyncio.Task[None] | None:
        """The fetch under way, or a new one unless a failed one was too recent."""
        if self._fetching is not None and not self._fetching.done():
            return self._fetching
        if self._monotonic() < self._not_before:
            return None
        self.fetches += 1
        self._fetching = asyncio.create_task(self._fetch())
        return self._fetching

    async def _fetch(self) -> None:
        """Fetch the metadata and then its key set; never raises (failures are logged)."""
        try:
            async with asyncio.timeout(self._timeout):
                async with self._session.get(self.url) as response:
                    response.raise_for_status()
                    jwks_uri = (await response.json(content_type=None))["jwks_uri"]
                async with self._session.get(jwks_uri) as response:
                    response.raise_for_status()
                    keys = _parse_keys(await response.json(content_type=None))
            if not keys:
                raise ValueError("the key set holds no key")
        except Exception as exc:
            self._failures += 1
            backoff = min(BACKOFF_CAP_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** (self._failures - 1))
            self._not_before = self._monotonic() + backoff
            logger.warning(
                "signing keys: fetching %s failed (%s); next try in %.0f s at the earliest",
                self.url,
                type(exc).__name__,
                backoff,
            )
            return
        now = self._monotonic()
        self._keys, self._fetched_at, self._failures = keys, now, 0
        self._not_before = now
        logger.info("signing keys: %d key(s) from %s", len(keys), self.url)

    async def close(self) -> None:
        if self._fetching is not None and not self._fetching.done():
            self._fetching.cancel()  # an HTTP request, no query: safe to cut off
            await asyncio.gather(self._fetching, return_exceptions=True)


class KeyRing:
    """One `SigningKeys` per metadata URL botbuilder asks for, sharing one HTTP session.

    `source`, when set, is where every key set is fetched from instead (a test's fake Entra,
    or a mirror); otherwise each URL's own."""

    def __init__(
        self,
        *,
        source: str = "",
        timeout: float = FETCH_TIMEOUT_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source.strip()
        self._timeout = timeout
        self._monotonic = monotonic
        self._session: aiohttp.ClientSession | None = None
        self._keys: dict[str, SigningKeys] = {}

    def for_url(self, url: str) -> SigningKeys:
        keys = self._keys.get(url)
        if keys is None:
            if self._session is None:
                self._session = aiohttp.ClientSession()
            keys = SigningKeys(
                self._source or url,
                session=self._session,
                timeout=self._timeout,
                monotonic=self._monotonic,
            )
            self._keys[url] = keys
        return keys

    @contextlib.contextmanager
    def installed(self) -> Iterator[KeyRing]:
        """While inside, botbuilder's token validation takes its keys from this ring.

        botbuilder keeps its key caches in a class attribute of `JwtTokenExtractor` and finds
        them through a static method; that method is what is replaced here, and put back."""
        previous = JwtTokenExtractor.__dict__["get_open_id_metadata"]
        JwtTokenExtractor.get_open_id_metadata = staticmethod(self.for_url)
        try:
            yield self
        finally:
            JwtTokenExtractor.get_open_id_metadata = previous

    async def close(self) -> None:
        for keys in self._keys.values():
            await keys.close()
        if self._session is not None:
            await self._session.close()
