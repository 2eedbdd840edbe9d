"""Fetches a file HR sent in Teams from its short-lived download URL: with a timeout, and never
more than the policy's limit (a larger file is not read on)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from urllib.parse import urljoin, urlsplit

import aiohttp

from dialogs.hr_imports import FileTooLarge, FileUnavailable

logger = logging.getLogger(__name__)

CHUNK = 64 * 1024
MAX_REDIRECTS = 3
LOOPBACK = ("127.0.0.1", "localhost", "::1")
REDIRECTS = frozenset({301, 302, 303, 307, 308})


def host_allowed(host: str, patterns: Sequence[str]) -> bool:
    """`host` is one of `patterns`: a name itself, or "*.name" for any host below name."""
    host = host.lower().rstrip(".")
    for pattern in patterns:
        pattern = pattern.strip().lower()
        if pattern.startswith("*.") and host.endswith(pattern[1:]):
            return True
        if pattern and host == pattern:
            return True
    return False


class FileDownloader:
    """One HTTP client for the app's life. Only HTTPS from the allowed `hosts` (SharePoint,
    where Teams keeps a file sent in a chat), so an HR admin's message cannot make the service
    fetch from elsewhere in the network; `local` (the Playground and tests, which serve files
    over plain HTTP from this machine) adds HTTP and the loopback addresses."""

    def __init__(
        self, *, timeout: float = 30.0, local: bool = False, hosts: Sequence[str] = ()
    ) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._local = local
        self._hosts = tuple(hosts)
        self._session: aiohttp.ClientSession | None = None

    async def fetch(self, url: str, limit: int) -> bytes:
        """The file's bytes; FileTooLarge past `limit`, FileUnavailable for anything else."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            # a redirect is followed only to an allowed host too, and only a few times
            for _ in range(MAX_REDIRECTS + 1):
                self._check(url)
                async with self._session.get(url, allow_redirects=False) as response:
                    if response.status in REDIRECTS and response.headers.get("Location"):
                        url = urljoin(str(response.url), response.headers["Location"])
                        continue
                    if response.status != 200:
                        logger.warning("file download refused: status=%s", response.status)
                        raise FileUnavailable(f"status {response.status}")
                    if (response.content_length or 0) > limit:
                        raise FileTooLarge()
                    data = bytearray()
                    async for chunk in response.content.iter_chunked(CHUNK):
                        data.extend(chunk)
                        if len(data) > limit:
                            raise FileTooLarge()
                    return bytes(data)
            raise FileUnavailable("too many redirects")
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            # the kind only: a download URL carries its access token
            logger.warning("file download failed: %s", type(exc).__name__)
            raise FileUnavailable(type(exc).__name__) from exc

    def _check(self, url: str) -> None:
        parts = urlsplit(url)
        schemes = ("https", "http") if self._local else ("https",)
        hosts = self._hosts + LOOPBACK if self._local else self._hosts
        if parts.scheme.lower() not in schemes or not host_allowed(parts.hostname or "", hosts):
            logger.warning("file download refused: not an allowed link")
            raise FileUnavailable("not an allowed link")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
