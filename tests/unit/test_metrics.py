"""The queue-depth histogram /metrics reads from the hub's clients when scraped."""

from server.hub import Hub
from server.metrics import QUEUE_DEPTH_BUCKETS, queue_depth_histogram
from server.snapshot import Recorder
from tests.unit.test_hub import CONFIG, system

# A fresh client holds its snapshot and config: two direct replies.
JOINING_FRAMES = 2


def buckets(depths: list[int]) -> dict[str, float]:
    family = queue_depth_histogram(depths)
    return {sample.labels["le"]: sample.value for sample in family.samples if "le" in sample.labels}


def test_each_client_counts_once_in_every_bucket_its_depth_fits() -> None:
    counted = buckets([0, 1, 5, 5000])
    assert counted["0.0"] == 1
    assert counted["1.0"] == 2
    assert counted["16.0"] == 3
    assert counted[str(float(QUEUE_DEPTH_BUCKETS[-1]))] == 3
    assert counted["+Inf"] == 4


def test_the_depths_are_the_hubs_clients_queued_frames() -> None:
    hub = Hub(Recorder(CONFIG))
    idle, busy = hub.subscribe(), hub.subscribe()
    idle.take()
    for n in range(3):
        hub.publish(system(n))
    busy_depth = JOINING_FRAMES + 3
    assert sorted(hub.queue_depths()) == sorted([idle.pending, busy.pending]) == [3, busy_depth]
    family = queue_depth_histogram(hub.queue_depths())
    (total,) = [s.value for s in family.samples if s.name.endswith("_gsum")]
    assert total == 3 + busy_depth
