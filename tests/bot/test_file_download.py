"""Fetching a file HR sent in Teams: only from SharePoint (the allowed hosts), over HTTPS, a
redirect only to an allowed host, never more than the limit; anything else is refused before a
byte of it is read."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.file_download import FileDownloader, host_allowed
from dialogs.hr_imports import FileTooLarge, FileUnavailable

SHAREPOINT = ("*.sharepoint.com", "*.sharepoint.us")


def test_only_the_allowed_hosts_are_allowed() -> None:
    assert host_allowed("demokommun.sharepoint.com", SHAREPOINT)
    assert host_allowed("demokommun-my.SharePoint.com.", SHAREPOINT)
    assert not host_allowed("sharepoint.com.evil.example", SHAREPOINT)
    assert not host_allowed("evilsharepoint.com", SHAREPOINT)
    assert not host_allowed("10.0.0.5", SHAREPOINT)
    assert host_allowed("files.example.org", ("files.example.org",))


@pytest.fixture
async def files() -> AsyncIterator[str]:
    """A local file server: a roster, a big file, and a redirect to somewhere else."""

    async def roster(request: web.Request) -> web.Response:
        return web.Response(body=b"upn,name\n")

    async def big(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * 5000)

    async def away(request: web.Request) -> web.Response:
        raise web.HTTPFound("http://169.254.169.254/latest/meta-data/")

    app = web.Application()
    app.router.add_get("/roster.csv", roster)
    app.router.add_get("/big.csv", big)
    app.router.add_get("/away", away)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("")).rstrip("/")
    await server.close()


async def test_outside_local_mode_a_link_to_another_host_is_never_fetched(files: str) -> None:
    downloader = FileDownloader(hosts=SHAREPOINT)
    try:
        for url in (f"{files}/roster.csv", files.replace("http:", "https:") + "/roster.csv"):
            with pytest.raises(FileUnavailable):
                await downloader.fetch(url, 1000)
    finally:
        await downloader.close()


async def test_locally_the_file_comes_within_its_limit_and_a_redirect_is_checked_again(
    files: str,
) -> None:
    downloader = FileDownloader(local=True, hosts=SHAREPOINT)
    try:
        assert await downloader.fetch(f"{files}/roster.csv", 1000) == b"upn,name\n"
        with pytest.raises(FileTooLarge):
            await downloader.fetch(f"{files}/big.csv", 1000)
        # a redirect elsewhere (here: a cloud's metadata address) is not followed
        with pytest.raises(FileUnavailable):
            await downloader.fetch(f"{files}/away", 1000)
        with pytest.raises(FileUnavailable):
            await downloader.fetch("file:///etc/passwd", 1000)
    finally:
        await downloader.close()
