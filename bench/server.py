"""The real server as a subprocess (server/launch.py, as the tests start it), and its /metrics
counters."""

import urllib.request
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

from server.launch import RunningServer, start_server

__all__ = ["Counters", "RunningServer", "read_counters", "start_server"]

METRICS_PATH = "/metrics"
HTTP_TIMEOUT_S = 5.0
SENT = "tickscope_messages_sent_total"
DROPPED = "tickscope_messages_dropped_total"
PUBLISHED = "tickscope_messages_published_total"


@dataclass(frozen=True)
class Counters:
    """The hub's cumulative counters over all clients (the benchmark runs one page at a time)."""

    published: float
    sent: float
    dropped: float

    def __sub__(self, earlier: "Counters") -> "Counters":
        return Counters(
            published=self.published - earlier.published,
            sent=self.sent - earlier.sent,
            dropped=self.dropped - earlier.dropped,
        )


def parse_counters(text: str) -> Counters:
    samples = {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    return Counters(
        published=samples.get(PUBLISHED, 0.0),
        sent=samples.get(SENT, 0.0),
        dropped=samples.get(DROPPED, 0.0),
    )


def read_counters(base_url: str) -> Counters:
    with urllib.request.urlopen(base_url + METRICS_PATH, timeout=HTTP_TIMEOUT_S) as response:
        return parse_counters(response.read().decode("utf-8"))
