"""The web application: /api/messages through the Bot Framework, /healthz and /metrics."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from functools import partial

from aiohttp import web
from botbuilder.core import Bot, InvokeResponse
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity
from msrest.serialization import Model

from bot.activity_check import (
    BadActivity,
    BadCardAction,
    card_action_error,
    check_activity,
    parse_body,
)
from bot.connector_cache import CachingBotFrameworkAuthentication
from bot.download_links import (
    DownloadLinks,
    consortium_handler,
    download_handler,
    export_handler,
    my_data_handler,
)
from bot.file_download import FileDownloader
from bot.info_pages import add_info_pages
from bot.metrics import (
    TURN_KIND,
    CountingNotifier,
    Metrics,
    metrics_handler,
    timed_turns,
    turn_kind,
)
from bot.outbox_dispatcher import OutboxDispatcher, log_failure
from bot.scheduler import Scheduler
from bot.settings import Settings
from bot.signing_keys import KeyRing
from bot.teams_bot import TeamsBot, on_turn_error
from bot.teams_notifier import TeamsNotifier
from bot.token_check import plausible_bearer
from bot.upload_page import ImportPages, add_import_pages
from dialogs.formatting import stored_title_of
from dialogs.outbox_renderer import OutboxRenderer
from storage import migrate
from storage.database import Database
from storage.types import utcnow

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024

SETTINGS = web.AppKey("settings", Settings)
DISPATCHER = web.AppKey("dispatcher", OutboxDispatcher)
DATABASE = web.AppKey("database", Database)
ADAPTER = web.AppKey("adapter", CloudAdapter)
BOT = web.AppKey("bot", Bot)
METRICS = web.AppKey("metrics", Metrics)
SCHEDULER = web.AppKey("scheduler", Scheduler)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def messages(request: web.Request) -> web.Response:
    """POST /api/messages: check the activity, authenticate it, then run the turn."""
    if request.content_type != "application/json":
        return _error(415, "expected application/json")
    try:
        body = parse_body(await request.read())
    except web.HTTPRequestEntityTooLarge:
        raise
    except ValueError:  # UnicodeDecodeError included
        return _error(400, "malformed JSON")
    try:
        check_activity(body)
        activity = Activity().deserialize(body)
    except BadCardAction as exc:
        logger.info("rejected a malformed card action: %s", exc)
        return web.json_response(card_action_error(400, "BadRequest", str(exc)), status=400)
    except BadActivity as exc:
        logger.info("rejected a malformed activity: %s", exc)
        return _error(400, str(exc))
    except Exception as exc:  # msrest raises several kinds for values it cannot read
        # only the kind: msrest's messages can quote the values, i.e. what someone wrote
        logger.info("rejected an activity the SDK cannot read (%s)", type(exc).__name__)
        return _error(400, "malformed activity")

    adapter = request.app[ADAPTER]
    settings = request.app[SETTINGS]
    auth_header = request.headers.get("Authorization", "")
    if not settings.local_mode and not plausible_bearer(auth_header, app_id=settings.APP_ID):
        logger.warning("refused a request without a plausible bearer token")
        return _error(401, "unauthorized")
    try:
        auth_result = await adapter.bot_framework_authentication.authenticate_request(
            activity, auth_header
        )
    except Exception as exc:  # PermissionError, or a token the validator cannot even parse
        logger.warning("refused an unauthenticated request: %s", type(exc).__name__)
        return _error(401, "unauthorized")

    request[TURN_KIND] = turn_kind(activity.type)
    invoke_response = await adapter.process_activity(
        auth_result, activity, request.app[BOT].on_turn
    )
    if invoke_response:
        return invoke_answer(invoke_response)
    return web.Response(status=201)


def invoke_answer(response: InvokeResponse) -> web.Response:
    """The HTTP answer to an invoke: its body as JSON. The SDK can put objects of its own in a
    body (a model holding an `Exception`), which `json.dumps` cannot write: those are written as
    its wire names, and an exception as its arguments."""
    return web.json_response(
        response.body, status=response.status or 200, dumps=partial(json.dumps, default=_plain)
    )


def _plain(value: object) -> object:
    if isinstance(value, BaseException):
        code, message = [*map(str, value.args), "", ""][:2]
        return {"code": code, "message": message}
    if isinstance(value, Model):
        fields = value._attribute_map.items()  # msrest's own map of wire names
        found = {desc["key"]: getattr(value, name, None) for name, desc in fields}
        return {key: item for key, item in found.items() if item is not None}
    raise TypeError(f"{type(value).__name__} is not JSON")


async def healthz(request: web.Request) -> web.Response:
    """GET /healthz: 200 when the database answers, else 503; what IT needs to know about this
    replica (nothing personal): the database's kind and migration, and whether it leads."""
    database = request.app[DATABASE]
    probe = await database.probe()
    head = migrate.head_revision()
    scheduler = request.app.get(SCHEDULER)
    body = {
        "status": "ok" if probe.reachable else "database unavailable",
        "database": {
            "reachable": probe.reachable,
            "backend": database.dialect,
            "migration": probe.revision,
            "migration_expected": head,
            "migrated": probe.revision == head,
        },
        "scheduler": {
            "runs_here": scheduler is not None,
            "leader": scheduler is not None and scheduler.leadership.held,
        },
    }
    return web.json_response(body, status=200 if probe.reachable else 503)


def create_app(settings: Settings, *, clock: Callable[[], datetime] = utcnow) -> web.Application:
    """Build the application; the database and the bot come to life in cleanup_ctx. `clock`:
    the time turns and downloads see (a test's, to press a card days after it came)."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[SETTINGS] = settings
    app[METRICS] = Metrics(
        database=lambda: app[DATABASE],
        leads=lambda: SCHEDULER in app and app[SCHEDULER].leadership.held,
    )
    policy = settings.policy()
    links = (
        DownloadLinks(
            secret=settings.download_link_secret.encode() or None,
            base_url=settings.link_base,
            lifetime=policy.link_lifetime,
            clock=clock,
            soffice=policy.soffice,
        )
        if settings.link_base
        else None
    )
    # HR's upload page and templates; a file sent in Teams is fetched by the downloader
    import_pages = (
        ImportPages(
            secret=settings.download_link_secret.encode() or secrets.token_bytes(32),
            base_url=settings.link_base,
        )
        if settings.link_base
        else None
    )
    downloader = FileDownloader(
        local=settings.local_mode, hosts=settings.file_download_hosts.split(",")
    )

    async def database_ctx(app: web.Application) -> AsyncIterator[None]:
        db = Database(settings.database_url, timeouts=settings.database_timeouts())
        await migrate.upgrade(db)
        app[DATABASE] = db
        yield
        await db.dispose()

    async def bot_ctx(app: web.Application) -> AsyncIterator[None]:
        authentication = CachingBotFrameworkAuthentication(
            ConfigurationBotFrameworkAuthentication(settings)
        )
        adapter = CloudAdapter(authentication)
        adapter.on_turn_error = on_turn_error
        app[ADAPTER] = adapter
        app[BOT] = TeamsBot(
            app[DATABASE],
            policy=policy,
            clock=clock,
            links=links.links if links is not None else None,
            my_data_links=links.my_data_links if links is not None else None,
            fetch_file=downloader.fetch,
            import_links=import_pages,
            export_links=links.export_links if links is not None else None,
            consortium_links=links.consortium_links if links is not None else None,
        )
        # token signing keys fetched asynchronously, not by botbuilder's blocking requests.get
        keys = KeyRing(source=settings.openid_metadata_url, timeout=settings.openid_fetch_timeout)
        with keys.installed():
            yield
        await keys.close()
        await authentication.close()
        await downloader.close()

    async def dispatcher_ctx(app: web.Application) -> AsyncIterator[None]:
        dispatcher = OutboxDispatcher(
            db=app[DATABASE],
            notifier=CountingNotifier(
                TeamsNotifier(app[ADAPTER], app_id=settings.APP_ID), app[METRICS]
            ),
            concurrency=settings.outbox_concurrency,
            policy=policy,
            clock=clock,
            render=OutboxRenderer(
                app[DATABASE], policy=policy, clock=clock, downloads=links is not None
            ),
        )
        app[DISPATCHER] = dispatcher
        task = asyncio.create_task(dispatcher.run()) if settings.run_scheduler else None
        if task is not None:
            task.add_done_callback(log_failure)  # a failure is seen now, not at shutdown
        yield
        if task is not None:
            # stopped, not cancelled, and awaited before the engine is disposed: no query of
            # its may be cut off half-way (its aiosqlite thread would outlive the loop)
            await dispatcher.shut_down(task, grace=settings.shutdown_grace)

    async def scheduler_ctx(app: web.Application) -> AsyncIterator[None]:
        scheduler = (
            Scheduler(app[DATABASE], policy=policy, title_of=stored_title_of())
            if settings.run_scheduler
            else None
        )
        if scheduler is not None:
            app[SCHEDULER] = scheduler
            scheduler.start()
        yield
        if scheduler is not None:
            await scheduler.stop()

    app.cleanup_ctx.append(database_ctx)
    app.cleanup_ctx.append(bot_ctx)
    app.cleanup_ctx.append(dispatcher_ctx)
    app.cleanup_ctx.append(scheduler_ctx)
    app.router.add_post("/api/messages", timed_turns(messages, lambda: app[METRICS]))
    app.router.add_get("/healthz", healthz)
    app.router.add_get(
        "/metrics", metrics_handler(lambda: app[METRICS], token=settings.metrics_token)
    )
    # /about, /privacy, /terms: the links in the Teams app package; /accessibility: the statement
    add_info_pages(app, policy=policy, statement=settings.statement())
    if links is not None:
        app.router.add_get(
            "/digest/{token}",
            download_handler(links, lambda: app[DATABASE], policy=policy, clock=clock),
        )
        app.router.add_get(
            "/export/{token}",
            export_handler(links, lambda: app[DATABASE], policy=policy, clock=clock),
        )
        app.router.add_get(
            "/consortium/{token}",
            consortium_handler(links, lambda: app[DATABASE], policy=policy, clock=clock),
        )
        app.router.add_get(
            "/my-data/{token}",
            my_data_handler(links, lambda: app[DATABASE], zone=policy.zone, clock=clock),
        )
    else:
        logger.warning("PUBLIC_URL is not set: the digest in Teams comes without download links")
    if import_pages is not None:
        add_import_pages(app, import_pages, lambda: app[DATABASE], policy=policy)
    return app
