"""The upstream simulator: a faithful OpenAI Responses, Chat Completions and Anthropic
Messages server for tests, demo and bench.

What to say (`persona`, `answer`) is kept apart from how to say it on the wire: each
protocol (`dialect`) reads its requests on its own (`chat_request`, `anthropic_request`)
and writes answers with its own encoder (`responses_stream`, `chat_stream`,
`anthropic_stream`). Nothing here uses `fourk.protocols`: the simulator is the other side
of the wire, and sharing that code would hide translation bugs.
"""

from fourk.sim.answer import Answer, cap_answer, plan_answer
from fourk.sim.anthropic_request import read_anthropic_request
from fourk.sim.anthropic_stream import AnthropicEventStream
from fourk.sim.chat_request import read_chat_request
from fourk.sim.chat_stream import ChatChunkStream
from fourk.sim.dialect import PROTOCOLS, Dialect, dialect_named
from fourk.sim.faults import (
    CutFault,
    DelayHeadersFault,
    FailedFault,
    Fault,
    FaultQueue,
    FaultSpecError,
    MalformedFault,
    NoCompletedFault,
    StallFault,
    StatusFault,
    decode_fault,
    decode_faults,
    encode_fault,
)
from fourk.sim.items import (
    Compaction,
    CustomToolCall,
    FunctionCall,
    OutputItem,
    Reasoning,
    TextMessage,
)
from fourk.sim.options import SimOptions
from fourk.sim.persona import Persona, echo_persona, persona_named, reasoner_persona
from fourk.sim.recorder import RecordedRequest, RequestLog
from fourk.sim.request import SimRequest, read_responses_request
from fourk.sim.responses_stream import ResponsesEventStream, encode_answer
from fourk.sim.server import SimServer, create_sim_app, run_sim, start_sim
from fourk.sim.simulator import (
    SimConnectionCut,
    SimHTTPError,
    SimReply,
    Simulator,
    stream_response,
)

__all__ = [
    "PROTOCOLS",
    "Answer",
    "AnthropicEventStream",
    "ChatChunkStream",
    "Compaction",
    "CustomToolCall",
    "CutFault",
    "DelayHeadersFault",
    "Dialect",
    "FailedFault",
    "Fault",
    "FaultQueue",
    "FaultSpecError",
    "FunctionCall",
    "MalformedFault",
    "NoCompletedFault",
    "OutputItem",
    "Persona",
    "Reasoning",
    "RecordedRequest",
    "RequestLog",
    "ResponsesEventStream",
    "SimConnectionCut",
    "SimHTTPError",
    "SimOptions",
    "SimReply",
    "SimRequest",
    "SimServer",
    "Simulator",
    "StallFault",
    "StatusFault",
    "TextMessage",
    "cap_answer",
    "create_sim_app",
    "decode_fault",
    "decode_faults",
    "dialect_named",
    "echo_persona",
    "encode_answer",
    "encode_fault",
    "persona_named",
    "plan_answer",
    "read_anthropic_request",
    "read_chat_request",
    "read_responses_request",
    "reasoner_persona",
    "run_sim",
    "start_sim",
    "stream_response",
]
