"""The fast lane for ``POST /api/calc``, the one route that is called at volume: what it takes and what it
answers. The HTTP protocol (``protocol.HuiqiHttpProtocol``) runs it, with no ASGI task, middleware or
routing in between (through them a calculation of half a millisecond cost ~0.07 ms more, ~12%).

The lane takes a request only when it is plainly a calculation: the path and method, a JSON body whose
length is declared and small, no ``Expect: 100-continue``. It answers with the same library call and the
same bytes as the FastAPI route (``services.calculate_json``). Anything it does not answer — a body that
is not valid JSON for ``CalcRequest``, a profile with errors, a profile too large to compute on the event
loop, an unexpected failure — goes to the full app with its body intact, so every error is worded, logged
and shaped exactly as the route's (and the OpenAPI document still comes from the route).
"""

from __future__ import annotations

from collections.abc import Iterable

from uvicorn.protocols.http.flow_control import HIGH_WATER_LIMIT

from huiqi.web.schemas import CalcRequest
from huiqi.web.services import calculate_inline

PATH = "/api/calc"
# uvicorn stops reading a request body beyond this until the app reads it; the lane reads only whole bodies
MAX_BODY = HIGH_WATER_LIMIT


def takes(method: str, path: str, headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether a request is for the lane (``headers``: lower-case names, as the server gives them)."""
    if method != "POST" or path != PATH:
        return False
    length = None
    json = True  # no content type: FastAPI decodes the body as JSON
    for name, value in headers:
        if name == b"content-length":
            length = value
        elif name == b"content-type":
            json = _json(value)
        elif name in (b"expect", b"transfer-encoding"):
            return False  # the client waits for ``100 Continue`` / the length is not declared
    return json and length is not None and length.isdigit() and int(length) <= MAX_BODY


def answer(body: bytes) -> bytes | None:
    """The response body, or ``None`` when the full app should answer."""
    try:
        return calculate_inline(CalcRequest.model_validate_json(body))
    except Exception:  # a ValidationError, a HuiqiError or the unexpected: the full app words, logs and
        return None  # answers each as for any route


def _json(content_type: bytes) -> bool:
    """Whether the body is declared JSON, as FastAPI decides whether to decode it."""
    kind = content_type.split(b";", 1)[0].strip().lower()
    return kind == b"application/json" or (kind.startswith(b"application/") and kind.endswith(b"+json"))
