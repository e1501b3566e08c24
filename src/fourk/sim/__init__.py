"""The upstream simulator: a faithful OpenAI Responses server for tests, demo and bench.

What to say (`persona`, `answer`) is kept apart from how to say it on the wire
(`responses_stream`), so Chat Completions and Anthropic personas can be added as encoders.
"""

from fourk.sim.answer import Answer, plan_answer
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
from fourk.sim.items import Compaction, FunctionCall, OutputItem, Reasoning, TextMessage
from fourk.sim.options import SimOptions
from fourk.sim.persona import Persona, echo_persona, persona_named, reasoner_persona
from fourk.sim.recorder import RecordedRequest, RequestLog
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
    "Answer",
    "Compaction",
    "CutFault",
    "DelayHeadersFault",
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
    "SimServer",
    "Simulator",
    "StallFault",
    "StatusFault",
    "TextMessage",
    "create_sim_app",
    "decode_fault",
    "decode_faults",
    "echo_persona",
    "encode_answer",
    "encode_fault",
    "persona_named",
    "plan_answer",
    "reasoner_persona",
    "run_sim",
    "start_sim",
    "stream_response",
]
