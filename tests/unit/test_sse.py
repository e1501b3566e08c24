"""SSE framing and decoding: the same events whatever the line endings and chunk splits."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fourk.protocols.sse import (
    SSEDecoder,
    SSEEvent,
    SSEFramer,
    encode_event,
    encode_typed_event,
    parse_event,
)

EOLS = ("\n", "\r\n", "\r")

# Text for one line's value: anything but line breaks (and surrogates, which cannot be UTF-8).
line_text = st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=12)

# Any text JSON can carry, line breaks included (they are escaped in the data line).
json_text = st.text(st.characters(codec="utf-8"), max_size=12)


@dataclass(frozen=True)
class WireEvent:
    """One event as a server could write it, and what a decoder must make of it."""

    comments: tuple[str, ...]
    name: str | None
    data: tuple[str, ...]  # empty: a comment-only block, which decodes to nothing

    def lines(self) -> list[str]:
        out = [":" + c for c in self.comments]
        if self.name is not None:
            out.append("event: " + self.name)
        out += ["data: " + d for d in self.data]
        return out

    def expected(self) -> SSEEvent | None:
        if not self.data:
            return None
        return SSEEvent(event=self.name, data="\n".join(self.data))


wire_events = st.builds(
    WireEvent,
    comments=st.lists(line_text, max_size=2).map(tuple),
    name=st.none() | line_text,
    data=st.lists(line_text, max_size=3).map(tuple),
).filter(lambda e: e.comments or e.data or e.name is not None)


@dataclass(frozen=True)
class Stream:
    events: list[WireEvent]
    eol: str
    tail: list[str]  # lines of a last event that never got its blank line

    def encode(self) -> bytes:
        text = "".join(
            "".join(line + self.eol for line in e.lines()) + self.eol for e in self.events
        )
        return (text + self.eol.join(self.tail)).encode()

    def normalised(self) -> bytes:
        return self.encode().replace(b"\r\n", b"\n").replace(b"\r", b"\n")

    def expected(self) -> list[SSEEvent]:
        return [x for x in (e.expected() for e in self.events) if x is not None]


streams = st.builds(
    Stream,
    events=st.lists(wire_events, max_size=5),
    eol=st.sampled_from(EOLS),
    tail=st.just([]),
)
streams_with_tail = st.builds(
    Stream,
    events=st.lists(wire_events, max_size=4),
    eol=st.sampled_from(EOLS),
    tail=st.lists(st.builds(lambda t: "data: " + t, line_text), min_size=1, max_size=2),
)


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = [0, *sorted(set(cuts)), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(points) if b > a]


def decode_chunks(chunks: list[bytes]) -> list[SSEEvent]:
    decoder = SSEDecoder()
    events: list[SSEEvent] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    return events + decoder.flush()


def frame_chunks(chunks: list[bytes]) -> tuple[list[bytes], bytes]:
    framer = SSEFramer()
    blocks: list[bytes] = []
    for chunk in chunks:
        blocks += framer.feed(chunk)
    return blocks, framer.flush()


@settings(max_examples=150, deadline=None)
@given(streams)
def test_every_two_way_split_decodes_like_the_whole(stream: Stream) -> None:
    data = stream.encode()
    whole = decode_chunks([data])
    assert whole == stream.expected()
    for cut in range(1, len(data)):
        assert decode_chunks([data[:cut], data[cut:]]) == whole, cut


@settings(max_examples=300, deadline=None)
@given(streams, st.data())
def test_many_chunks_decode_like_the_whole(stream: Stream, draw: st.DataObject) -> None:
    data = stream.encode()
    cuts = draw.draw(st.lists(st.integers(0, len(data)), max_size=30))
    assert decode_chunks(chunked(data, cuts)) == stream.expected()


def test_one_byte_at_a_time_with_every_line_ending() -> None:
    stream = Stream(
        [
            WireEvent(("keepalive",), None, ()),
            WireEvent((), "response.created", ('{"a": 1}',)),
            WireEvent((" c",), "x", ("line one", "", " two ", "ü€😀")),
        ],
        "\r\n",
        [],
    )
    for eol in EOLS:
        stream = Stream(stream.events, eol, [])
        data = stream.encode()
        assert decode_chunks([data[i : i + 1] for i in range(len(data))]) == stream.expected()


@settings(max_examples=200, deadline=None)
@given(streams, st.data())
def test_framer_blocks_join_to_the_normalised_input(stream: Stream, draw: st.DataObject) -> None:
    data = stream.encode()
    cuts = draw.draw(st.lists(st.integers(0, len(data)), max_size=20))
    blocks, rest = frame_chunks(chunked(data, cuts))
    assert rest == b""
    assert b"".join(blocks) == stream.normalised()
    assert len(blocks) == len(stream.events)
    for block in blocks:
        assert block.endswith(b"\n\n")
        assert b"\n\n" not in block[:-2]
        assert b"\r" not in block


@settings(max_examples=200, deadline=None)
@given(streams_with_tail, st.data())
def test_flush_returns_the_incomplete_tail(stream: Stream, draw: st.DataObject) -> None:
    data = stream.encode()
    cuts = draw.draw(st.lists(st.integers(0, len(data)), max_size=20))
    framer = SSEFramer()
    blocks: list[bytes] = []
    for chunk in chunked(data, cuts):
        blocks += framer.feed(chunk)
    tail = "\n".join(stream.tail).encode()
    assert framer.pending == len(tail)
    assert framer.flush() == tail
    assert framer.pending == 0
    assert framer.flush() == b""
    assert b"".join(blocks) + tail == stream.normalised()


@settings(max_examples=100, deadline=None)
@given(streams_with_tail, st.data())
def test_decoder_flush_yields_the_unterminated_last_event(
    stream: Stream, draw: st.DataObject
) -> None:
    data = stream.encode()
    cuts = draw.draw(st.lists(st.integers(0, len(data)), max_size=20))
    last = SSEEvent(None, "\n".join(line.removeprefix("data: ") for line in stream.tail))
    assert decode_chunks(chunked(data, cuts)) == [*stream.expected(), last]


def test_crlf_split_between_cr_and_lf_is_one_line_break() -> None:
    framer = SSEFramer()
    assert framer.feed(b"data: a\r") == []
    assert framer.feed(b"\ndata: b\r") == []
    # a lone CR already ends the blank line; the LF that follows belongs to it
    assert framer.feed(b"\n\r") == [b"data: a\ndata: b\n\n"]
    assert framer.feed(b"\n") == []
    assert framer.flush() == b""


def test_cr_then_crlf_is_two_line_breaks() -> None:
    # "\r" ends one line, the following "\r\n" ends the (blank) next one.
    framer = SSEFramer()
    assert framer.feed(b"data: a\r") == []
    assert framer.feed(b"\r\n") == [b"data: a\n\n"]


def test_empty_chunk_between_cr_and_lf_changes_nothing() -> None:
    data = b"data: a\r\ndata: b\r\n\r\n"
    for cut in range(len(data) + 1):
        assert decode_chunks([data[:cut], b"", data[cut:]]) == [SSEEvent(None, "a\nb")], cut


def test_extra_blank_lines_frame_the_same_whatever_the_chunking() -> None:
    data = b"data: a\n\n\ndata: b\n\n"
    whole, _ = frame_chunks([data])
    for cut in range(1, len(data)):
        blocks, _ = frame_chunks([data[:cut], data[cut:]])
        assert blocks == whole, cut
        assert all(block.strip(b"\n") for block in blocks), cut


def test_extra_blank_lines_decode_the_same_whatever_the_chunking() -> None:
    data = b"\n\ndata: a\n\n\n\n\ndata: b\r\n\r\n\r\n"
    expected = [SSEEvent(None, "a"), SSEEvent(None, "b")]
    for cut in range(len(data) + 1):
        assert decode_chunks([data[:cut], data[cut:]]) == expected, cut


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (b"data: x\n\n", SSEEvent(None, "x")),
        (b"data:x\n\n", SSEEvent(None, "x")),
        (b"data:  x\n\n", SSEEvent(None, " x")),  # only one leading space is dropped
        (b"data\n\n", SSEEvent(None, "")),
        (b"data:\ndata:\n\n", SSEEvent(None, "\n")),
        (b"event: done\ndata: 1\ndata: 2\n\n", SSEEvent("done", "1\n2")),
        (b"data: 1\nevent: late\n\n", SSEEvent("late", "1")),
        (b"event: a\nevent: b\ndata: 1\n\n", SSEEvent("b", "1")),
        (b": comment\nid: 7\nretry: 10\ndata: {}\n\n", SSEEvent(None, "{}")),
        (b"data: a: b\n\n", SSEEvent(None, "a: b")),
        (b"unknown: v\ndata: z\n\n", SSEEvent(None, "z")),
        (b"data: caf\xc3\xa9\n\n", SSEEvent(None, "café")),
    ],
)
def test_parse_event_fields(block: bytes, expected: SSEEvent) -> None:
    assert parse_event(block) == expected


@pytest.mark.parametrize(
    "block", [b": keepalive\n\n", b"event: ping\n\n", b"id: 3\n\n", b"\n\n", b"", b"Data: x\n\n"]
)
def test_parse_event_without_data_is_none(block: bytes) -> None:
    assert parse_event(block) is None


def test_parse_event_replaces_invalid_utf8() -> None:
    event = parse_event(b"data: \xff\n\n")
    assert event == SSEEvent(None, "\ufffd")


def test_event_json() -> None:
    assert SSEEvent(None, '{"a": [1]}').json() == {"a": [1]}
    with pytest.raises(ValueError):
        SSEEvent(None, "[DONE]").json()


def test_encode_event_shapes() -> None:
    assert encode_event({"a": 1}) == b'data: {"a":1}\n\n'
    assert encode_event({"a": 1}, "x") == b'event: x\ndata: {"a":1}\n\n'
    assert encode_event(b"[DONE]") == b"data: [DONE]\n\n"


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers(-(2**53), 2**53) | json_text,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(json_text, inner, max_size=3),
        max_leaves=8,
    ),
    st.none() | line_text,
)
def test_encode_then_decode_round_trips(payload: object, name: str | None) -> None:
    data = encode_event(payload, name)
    for cut in range(len(data) + 1):
        events = decode_chunks([data[:cut], data[cut:]])
        assert len(events) == 1
        assert events[0].event == name
        assert events[0].json() == payload


def test_encode_typed_event_repeats_the_type() -> None:
    payload: dict[str, object] = {"type": "response.completed", "response": {"id": "r"}}
    event = parse_event(encode_typed_event(payload))
    assert event is not None
    assert event.event == "response.completed"
    assert orjson.loads(event.data) == payload
    assert parse_event(encode_typed_event({"type": 3})) == SSEEvent(None, '{"type":3}')
