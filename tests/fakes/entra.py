"""A fake of the Bot Framework's token issuer: OpenID metadata and a key set on 127.0.0.1.

It signs tokens with its own RSA key and publishes that key, so the real validation in
botbuilder can be run without Microsoft's cloud. Knobs: `hang` (the endpoints never answer
until it is cleared or the fake closes), `fail_with` (an HTTP status for every request)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import jwt
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://api.botframework.com"  # what Teams' tokens say; botbuilder checks it
KEY_ID = "fake-entra-key-1"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeEntra:
    """Publishes one signing key and counts who asked for it."""

    def __init__(self) -> None:
        self.key = new_key()
        self.hang = False
        self.fail_with: int | None = None
        self.metadata_requests = 0
        self.key_requests = 0
        self.server: TestServer | None = None
        self._released = asyncio.Event()

    @property
    def metadata_url(self) -> str:
        assert self.server is not None, "the fake is not running"
        return str(self.server.make_url("/v1/.well-known/openidconfiguration"))

    def token(
        self,
        app_id: str,
        *,
        service_url: str,
        kid: str = KEY_ID,
        key: rsa.RSAPrivateKey | None = None,
        expires_in: int = 3600,
    ) -> str:
        """A bearer token as the Bot Framework sends it (signed with `key`: a forger's)."""
        now = int(time.time())
        claims = {
            "aud": app_id,
            "iss": ISSUER,
            "nbf": now - 60,
            "exp": now + expires_in,
            "serviceurl": service_url,
        }
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": kid})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v1/.well-known/openidconfiguration", self._metadata)
        app.router.add_get("/v1/keys", self._keys)
        return app

    async def _answer(self, body: dict[str, Any]) -> web.Response:
        if self.hang:
            await self._released.wait()
        if self.fail_with is not None:
            return web.Response(status=self.fail_with, text="unavailable")
        return web.json_response(body)

    async def _metadata(self, request: web.Request) -> web.Response:
        self.metadata_requests += 1
        jwks_uri = str(request.url.with_path("/v1/keys").with_query(None))
        return await self._answer({"issuer": ISSUER, "jwks_uri": jwks_uri})

    async def _keys(self, request: web.Request) -> web.Response:
        self.key_requests += 1
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=KEY_ID, use="sig", endorsements=["msteams"])
        return await self._answer({"keys": [jwk]})

    def release(self) -> None:
        """Let every hanging request go (and answer)."""
        self.hang = False
        released, self._released = self._released, asyncio.Event()
        released.set()


@asynccontextmanager
async def running_entra() -> AsyncIterator[FakeEntra]:
    """Run a FakeEntra on 127.0.0.1 and close it after."""
    entra = FakeEntra()
    entra.server = TestServer(entra.app(), host="127.0.0.1")
    await entra.server.start_server()
    try:
        yield entra
    finally:
        entra.release()
        await entra.server.close()
