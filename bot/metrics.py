"""What IT watches while a round goes out: /metrics in Prometheus' text format.

One registry per application (never prometheus-client's global one), so two apps in one process
(tests, a bench) count apart. Nothing personal is in it: tenants by their Entra tenant id, turns
by activity type, the outbox by state.

Access: with `METRICS_TOKEN` set, a scraper must send `Authorization: Bearer <token>`; without
it, only a request from this machine (a loopback address, not forwarded by a proxy) is answered.
Anything else gets 404, as if there were no such page, so a service published to the internet
does not publish its figures by accident."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

from bot.teams_notifier import Delivery, Outcome, TeamsNotifier
from storage.database import Database
from storage.operations_store import WATCHED_STATES, Depth, OperationsStore

logger = logging.getLogger(__name__)

# the activity types a turn is labelled with; any other type is "other" (a label's values come
# from the request, so they are bounded here)
TURN_KINDS = frozenset(
    {"message", "invoke", "conversationUpdate", "installationUpdate", "messageReaction", "event"}
)
# Teams waits 15 s for a turn; an invoke's card should change well within 1 s
TURN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0)
TURN_KIND = web.RequestKey("turn_kind", str)
FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")


def turn_kind(activity_type: object) -> str:
    return (
        activity_type if isinstance(activity_type, str) and activity_type in TURN_KINDS else "other"
    )


class OutboxDepth(Collector):
    """The outbox's messages per tenant and state, counted by the database just before each
    scrape (`refresh`); `ledarpuls_database_up` says whether that count worked."""

    def __init__(self, db: Callable[[], Database]) -> None:
        self._db = db
        self._rows: list[Depth] = []
        self._up = False

    async def refresh(self) -> None:
        try:
            self._rows = await OperationsStore(self._db()).outbox_depth()
            self._up = True
        except Exception:
            logger.warning("metrics: the outbox could not be counted", exc_info=True)
            self._rows, self._up = [], False

    def collect(self) -> list[Metric]:
        depth = GaugeMetricFamily(
            "ledarpuls_outbox_messages",
            "Outbox messages per tenant and state (queued, sending, unreachable, failed), "
            "counted at scrape time",
            labels=["tenant", "state"],
        )
        seen = {(row.tenant_id, row.state) for row in self._rows}
        for row in self._rows:
            depth.add_metric([row.tenant_id, row.state], row.n)
        for tenant in {row.tenant_id for row in self._rows}:
            for state in WATCHED_STATES:  # a state emptied shows 0, not a gap
                if (tenant, state) not in seen:
                    depth.add_metric([tenant, state], 0)
        up = GaugeMetricFamily(
            "ledarpuls_database_up", "1 when the last scrape could count the outbox"
        )
        up.add_metric([], 1 if self._up else 0)
        return [depth, up]


class Metrics:
    """The instruments of one application and the registry they are in."""

    def __init__(self, *, database: Callable[[], Database], leads: Callable[[], bool]) -> None:
        self.registry = CollectorRegistry()
        self.sent = Counter(
            "ledarpuls_messages_sent",
            "Proactive messages Teams accepted, per tenant",
            ["tenant"],
            registry=self.registry,
        )
        self.throttled = Counter(
            "ledarpuls_teams_throttled",
            "429 answers from Teams to a proactive message, per tenant",
            ["tenant"],
            registry=self.registry,
        )
        self.not_sent = Counter(
            "ledarpuls_messages_not_sent",
            "Proactive sends that failed otherwise, per tenant and outcome (transient: tried "
            "again later; unreachable: the chef cannot be reached; failed: given up)",
            ["tenant", "outcome"],
            registry=self.registry,
        )
        self.turns = Histogram(
            "ledarpuls_turn_seconds",
            "Time to answer an authenticated request on /api/messages, per activity type",
            ["type"],
            buckets=TURN_BUCKETS,
            registry=self.registry,
        )
        leader = Gauge(
            "ledarpuls_scheduler_leader",
            "1 when this replica runs the scheduled jobs (holds the leader's lock)",
            registry=self.registry,
        )
        leader.set_function(lambda: 1.0 if leads() else 0.0)
        self.outbox = OutboxDepth(database)
        self.registry.register(self.outbox)

    def delivered(self, tenant: str | None, delivery: Delivery) -> None:
        """Count how one send went."""
        label = tenant or "unknown"
        if delivery.outcome == Outcome.SENT:
            self.sent.labels(label).inc()
        elif delivery.outcome == Outcome.THROTTLED:
            self.throttled.labels(label).inc()
        else:
            self.not_sent.labels(label, str(delivery.outcome)).inc()

    async def exposition(self) -> bytes:
        await self.outbox.refresh()
        return generate_latest(self.registry)


class CountingNotifier(TeamsNotifier):
    """The Teams notifier, counting every send's outcome per tenant."""

    def __init__(self, inner: TeamsNotifier, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics

    async def send(self, *, reference: dict[str, Any], activity: dict[str, Any]) -> Delivery:
        delivery = await self._inner.send(reference=reference, activity=activity)
        conversation = reference.get("conversation") or {}
        self._metrics.delivered(conversation.get("tenantId"), delivery)
        return delivery

    async def start_conversation(
        self,
        *,
        service_url: str,
        tenant_id: str,
        user_aad_object_id: str,
        activity: dict[str, Any],
    ) -> tuple[Delivery, dict[str, Any] | None]:
        delivery, reference = await self._inner.start_conversation(
            service_url=service_url,
            tenant_id=tenant_id,
            user_aad_object_id=user_aad_object_id,
            activity=activity,
        )
        self._metrics.delivered(tenant_id, delivery)
        return delivery, reference


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def timed_turns(handler: Handler, metrics: Callable[[], Metrics]) -> Handler:
    """`handler`, its time observed per activity type for the requests that ran a turn (the
    handler names the type in `request[TURN_KIND]`; refused requests are not turns)."""

    async def timed(request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        try:
            return await handler(request)
        finally:
            kind = request.get(TURN_KIND)
            if kind is not None:
                metrics().turns.labels(kind).observe(time.perf_counter() - started)

    return timed


def _from_this_machine(request: web.Request) -> bool:
    if any(header in request.headers for header in FORWARDING_HEADERS):
        return False  # a proxy on this machine passing on someone else's request
    try:
        return ipaddress.ip_address((request.remote or "").split("%")[0]).is_loopback
    except ValueError:
        return False


def allowed(request: web.Request, token: str) -> bool:
    """May this request read /metrics (see the module's docstring)?"""
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    return _from_this_machine(request)


def metrics_handler(metrics: Callable[[], Metrics], *, token: str) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        if not allowed(request, token):
            raise web.HTTPNotFound()
        body = await metrics().exposition()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return handle
