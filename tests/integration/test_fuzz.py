"""Property-based fuzzing of control messages against the real server.

Whatever a client sends, it gets an `error` (or, past 4 KiB, the documented 1009 close); the
server keeps serving everyone else and logs no traceback.
"""

import json
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed

from tests.conftest import RunningServer, start_server
from tests.integration.wsclient import run, ws_client

FRAME_LIMIT = 4096
MESSAGE_TOO_BIG = 1009
EXAMPLES = 60

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def as_text(value: object) -> str:
    # Python's json writes NaN and Infinity literally: exactly the input a parser must refuse.
    return json.dumps(value)


controls = st.one_of(
    json_values.map(as_text),
    st.dictionaries(st.just("frequency_ms"), json_values, min_size=1).map(as_text),
    st.integers(min_value=1, max_value=3000).map(lambda depth: "[" * depth),
    st.text(max_size=200),
    st.binary(max_size=200),
    st.sampled_from(["NaN", "-Infinity", '{"frequency_ms": 1e999}', "", " ", "{"]),
    st.text(min_size=FRAME_LIMIT + 1, max_size=FRAME_LIMIT + 100),
)


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[RunningServer]:
    """A server of its own: a valid control among the random ones changes its market."""
    with start_server("--seed", "9") as running:
        yield running


def frame_size(payload: str | bytes) -> int:
    return len(payload.encode() if isinstance(payload, str) else payload)


async def send_one(server: RunningServer, payload: str | bytes) -> str:
    """What the server answered: an error code, "closed:<code>", or "config" if it was valid."""
    async with ws_client(server) as client:
        await client.handshake()
        await client.send(payload)
        try:
            answer, _ = await client.until(lambda m: m["type"] in ("error", "config"))
        except ConnectionClosed as closed:
            return f"closed:{closed.rcvd.code if closed.rcvd else None}"
        return str(answer["code"]) if answer["type"] == "error" else "config"


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=controls)
def test_any_control_input_gets_an_error_or_the_documented_close(
    fuzzed: RunningServer, payload: str | bytes
) -> None:
    answer = run(send_one(fuzzed, payload))
    if frame_size(payload) > FRAME_LIMIT:
        assert answer == f"closed:{MESSAGE_TOO_BIG}"
    elif answer == "config":
        frequency = json.loads(payload)["frequency_ms"]
        assert isinstance(frequency, int)
        assert 10 <= frequency <= 1000
    else:
        assert not answer.startswith("closed"), (payload, answer)


def test_after_the_fuzzing_the_server_still_streams_and_logged_no_traceback(
    fuzzed: RunningServer,
) -> None:
    async def scenario() -> list[int]:
        async with ws_client(fuzzed) as client:
            await client.handshake()
            return [message["seq"] for message in await client.take(100)]

    seqs = run(scenario())
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert "Traceback" not in fuzzed.log()
