"""GET /metrics (Prometheus text) and GET /healthz (JSON), read from live counters.

The hub keeps plain integer counters on its hot path; they are turned into Prometheus samples
only when scraped, so exporting costs nothing per message. The clients' queue depths are read
at the scrape too, as a gauge histogram: how many clients have how many frames waiting now.
Beside them sit prometheus-client's standard process, platform and GC collectors.
"""

from collections.abc import Iterator
from urllib.parse import urlsplit

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    generate_latest,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeHistogramMetricFamily,
    GaugeMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.brokers import Role
from server.history import Status
from server.services import Services

# Upper bounds of the queue-depth buckets, in frames: from idle to the default queue limit.
QUEUE_DEPTH_BUCKETS = (0, 1, 4, 16, 64, 256, 1024, 4096)
STANDARD_COLLECTORS = (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR)
SOURCE_COUNTS = {
    "rejected": "Messages from the source refused as invalid (bad fields, not JSON, unknown)",
    "reconnects": "Times the source's connection was lost and opened again",
    "resyncs": "Times the source's order books were rebuilt after a sequence gap",
    "switches": "Times a standby source took over",
}


def queue_depth_histogram(depths: list[int]) -> GaugeHistogramMetricFamily:
    buckets = [
        (str(float(bound)), sum(1 for depth in depths if depth <= bound))
        for bound in QUEUE_DEPTH_BUCKETS
    ]
    buckets.append(("+Inf", len(depths)))
    return GaugeHistogramMetricFamily(
        "tickscope_client_queue_frames",
        "Frames waiting in each client's queue when scraped",
        buckets=buckets,
        gsum_value=sum(depths),
    )


class HubCollector(Collector):
    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        hub = self.services.hub
        yield CounterMetricFamily(
            "tickscope_messages_published", "Messages published to the stream", hub.published
        )
        yield CounterMetricFamily(
            "tickscope_messages_sent", "Messages written to client sockets", hub.sent
        )
        yield CounterMetricFamily(
            "tickscope_messages_dropped",
            "Messages dropped for clients that fell behind",
            hub.dropped,
        )
        yield CounterMetricFamily(
            "tickscope_messages_conflated",
            "Messages left out on purpose for lagging clients, which got the newest value instead",
            hub.conflated,
        )
        yield GaugeMetricFamily(
            "tickscope_clients", "Connected WebSocket clients", len(hub.subscribers)
        )
        yield GaugeMetricFamily(
            "tickscope_clients_conflated",
            "Clients on conflated delivery now, for lagging behind the stream",
            self.services.batching.conflated_count,
        )
        yield queue_depth_histogram(hub.queue_depths())
        yield GaugeMetricFamily(
            "tickscope_frequency_ms",
            "Current tick period of the market",
            self.services.frequency_ms,
        )
        yield GaugeMetricFamily(
            "tickscope_leader",
            "1 while this process runs the market (always, with the memory broker)",
            int(self.services.broker.role == Role.LEADER),
        )
        broker = self.services.broker
        yield CounterMetricFamily(
            "tickscope_broker_takeovers", "Times this process became the leader", broker.takeovers
        )
        yield CounterMetricFamily(
            "tickscope_broker_resyncs",
            "Times this process lost stream messages and reloaded the shared snapshot",
            broker.resyncs,
        )
        errors = CounterMetricFamily(
            "tickscope_control_errors", "Refused control messages, by error code", labels=["code"]
        )
        for code, count in sorted(self.services.control_errors.items()):
            errors.add_metric([code], count)
        yield errors
        yield from self._source_and_history()

    def _source_and_history(self) -> Iterator[Metric]:
        counts = self.services.source.counts()
        for name, help_text in SOURCE_COUNTS.items():
            if name in counts:
                yield CounterMetricFamily(f"tickscope_source_{name}", help_text, counts[name])
        history = self.services.history
        if history is None:
            return
        yield CounterMetricFamily(
            "tickscope_history_written", "Prices and trades written to the history", history.written
        )
        yield CounterMetricFamily(
            "tickscope_history_dropped",
            "Prices and trades the history could not keep (a failing store, a full queue)",
            history.dropped,
        )
        yield GaugeMetricFamily(
            "tickscope_history_degraded",
            "1 while the history store fails and the server runs live only",
            int(history.status == Status.DEGRADED),
        )


def registry_for(services: Services) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HubCollector(services))
    for collector in STANDARD_COLLECTORS:
        registry.register(collector)
    return registry


async def prometheus(request: Request) -> Response:
    registry: CollectorRegistry = request.app.state.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


async def healthz(request: Request) -> Response:
    services: Services = request.app.state.services
    last_system = services.hub.recorder.system
    return JSONResponse(
        {
            "status": "ok",
            "clients": len(services.hub.subscribers),
            "msg_rate": last_system["msg_rate"] if last_system else 0,
            "frequency_ms": services.frequency_ms,
            "seq": services.hub.seq,
            "uptime_s": round(services.uptime, 3),
            "broker": urlsplit(services.settings.broker).scheme,
            "role": services.broker.role,
            "source": services.source.describe(),
            "history": services.history.health() if services.history else {"status": "off"},
        }
    )
