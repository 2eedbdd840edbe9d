"""Fetches a file HR sent in Teams from its short-lived download URL: with a timeout, and never
more than the policy's limit (a larger file is not read on)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import aiohttp

from dialogs.hr_imports import FileTooLarge, FileUnavailable

logger = logging.getLogger(__name__)

CHUNK = 64 * 1024


class FileDownloader:
    """One HTTP client for the app's life; `allow_http` only for local use (the Playground and
    tests serve files over plain HTTP, Teams always over HTTPS)."""

    def __init__(self, *, timeout: float = 30.0, allow_http: bool = False) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._allow_http = allow_http
        self._session: aiohttp.ClientSession | None = None

    async def fetch(self, url: str, limit: int) -> bytes:
        """The file's bytes; FileTooLarge past `limit`, FileUnavailable for anything else."""
        scheme = urlsplit(url).scheme.lower()
        if scheme != "https" and not (self._allow_http and scheme == "http"):
            raise FileUnavailable("not an https link")
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.get(url, allow_redirects=True) as response:
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
        except (aiohttp.ClientError, TimeoutError) as exc:
            # the kind only: a download URL carries its access token
            logger.warning("file download failed: %s", type(exc).__name__)
            raise FileUnavailable(type(exc).__name__) from exc

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
