"""POST /api/v1/serviceD: DUIS-style XML Service Requests in, sr:Response XML out.

The route only translates: bytes to a verified command (duis), the command to a result
(services), the result or the refusal to XML with its DUIS response code.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from chfw_api.api.deps import CallerDep, ContainerDep
from chfw_api.bootstrap import Container
from chfw_api.domain.errors import Conflict, DomainError, NotFound
from chfw_api.domain.parties import Caller
from chfw_api.domain.service_request_results import ServiceRequestRefused
from chfw_api.domain.service_requests import ServiceReference
from chfw_api.duis.codes import error_code, http_status, outcome_code
from chfw_api.duis.errors import NOT_WELL_FORMED, TOO_LARGE, XmlRejected
from chfw_api.duis.parser import let_go_of_tree, parse_request
from chfw_api.duis.requests import SNIFF_WINDOW, map_request, sniff_header
from chfw_api.duis.responses import render_error, render_response
from chfw_api.duis.signature import kept_for_verification, verify_request
from chfw_api.observability import service_requests as observed_sr
from chfw_api.services import estate_status
from chfw_api.services import service_request_gate as gate
from chfw_api.services.pilot_lists import PilotSettings

router = APIRouter(prefix="/api/v1", tags=["service requests"])
XML = "application/xml"
SERVICE_PATH = "/api/v1/serviceD"
UNNAMED_SR = ServiceReference.INSTRUCT_DEPLOYMENT
"""Named by a refusal of a body in which no Service Reference can be found: the schema wants
one (docs/response-codes.md)."""


async def _read_within(request: Request, limit: int) -> tuple[bytes, bool]:
    """The body, or, when it is over `limit` bytes (declared or streamed), only its head and
    True: enough to echo the RequestID and SR in the refusal (E110003), never the whole."""
    declared = request.headers.get("content-length", "")
    declared_over = declared.isdigit() and int(declared) > limit
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > limit or (declared_over and len(received) >= SNIFF_WINDOW):
            return bytes(received[:SNIFF_WINDOW]), True
    return bytes(received), declared_over


def _handle(
    c: Container, caller: Caller, held: list[bytes], content_type: str, *, too_large: bool = False
) -> tuple[int, bytes]:
    """`held` hands over the only reference to the body, so it is let go once parsed (a
    300,000-GUID body is some 14 MB the request would otherwise carry to the end)."""
    s = c.settings
    now = c.clock.now()
    data = held.pop()
    size = len(data)
    request_id, sr = sniff_header(data)
    try:
        if too_large:
            raise XmlRejected(TOO_LARGE, f"the body is larger than the limit of "
                                         f"{s.max_body_bytes} bytes")  # fmt: skip
        if content_type not in ("application/xml", "text/xml"):
            raise XmlRejected(NOT_WELL_FORMED, f"expected Content-Type application/xml, got "
                                               f"{content_type or 'none'!r}")  # fmt: skip
        root = parse_request(data, max_bytes=s.max_body_bytes, max_depth=s.max_xml_depth,
                             max_guids=s.max_request_guids)  # fmt: skip
        del data
        command = map_request(root, dcc_user_id=s.dcc_user_id)
        # The tree is let go as soon as it is no longer needed: before the request runs, or
        # once its signature has verified (a 300,000-GUID request's tree is some 85 MB).
        kept = [kept_for_verification(root)]
        del root
        let_go_of_tree(size)

        def check_signature(certificate_pem: str) -> None:
            verify_request(kept.pop(), certificate_pem, at=now)
            let_go_of_tree(size)

        header = command.header
        request_id, sr = header.request_id, header.service_reference
        answer = gate.pass_gate(
            uows=c.uow,
            clock=c.clock,
            caller=caller,
            command=command,
            check_signature=check_signature,
            pilot=PilotSettings(s.pilot_max_size, s.pilot_minimum_per_supplier),
            dcc_user_id=s.dcc_user_id,
        )
        body = render_response(
            answer.result,
            service_reference=sr,
            response_id=answer.response_id,
            at=now,
            request_id=request_id,
        )
        return http_status(outcome_code(answer.result)), body
    except (XmlRejected, DomainError) as exc:
        body = render_error(
            exc,
            service_reference=sr or UNNAMED_SR,
            response_id=gate.response_id(
                dcc_user_id=s.dcc_user_id, caller=caller, request_id=request_id
            ),
            at=now,
            request_id=request_id,
        )
        return http_status(error_code(exc)), body


@router.post(
    SERVICE_PATH.removeprefix("/api/v1"),
    summary="Send a Service Request (SR 11.5-11.10) as DUIS-style XML",
    response_class=Response,
    responses={
        200: {"content": {XML: {}}, "description": "sr:Response: I0, or W... with rejected GUIDs"},
        202: {"content": {XML: {}}, "description": "sr:Response I99: an asynchronous report"},
        400: {"content": {XML: {}}, "description": "sr:Response E...: refused, nothing changed"},
        401: {"description": "no or unknown API key (problem+json)"},
        403: {"content": {XML: {}}, "description": "sr:Response E1/E2/E3/E4"},
        404: {"content": {XML: {}}, "description": "sr:Response E19/E110017/E110801"},
        409: {"content": {XML: {}}, "description": "sr:Response E...: not in this state"},
        413: {
            "content": {XML: {}},
            "description": "sr:Response E110003 (body over the limit) "
            "or E110021 (more GUIDs than CHFW_MAX_REQUEST_GUIDS)",
        },
        422: {"content": {XML: {}}, "description": "sr:Response E...: the list is refused"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {XML: {"schema": {"type": "string", "format": "xml"}}},
        }
    },
)
async def service_request(request: Request, caller: CallerDep, c: ContainerDep) -> Response:
    """One sr:Request per call (see schemas/chfw-duis.xsd and docs/examples/)."""
    started = time.perf_counter()
    data, too_large = await _read_within(request, c.settings.max_body_bytes)
    head = data[:SNIFF_WINDOW]  # all the log line reads of the request
    held = [data]
    del data
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    status, body = await run_in_threadpool(_handle, c, caller, held, media, too_large=too_large)
    observed_sr.observe(head, body, time.perf_counter() - started)  # metrics, log facts
    return Response(content=body, status_code=status, media_type=XML)


@router.get(
    "/reports/{report_id}",
    summary="Download a ready estate firmware status report (SR 11.8) as CSV",
    response_class=FileResponse,
    responses={
        200: {"content": {"text/csv": {}}},
        404: {"description": "not yours or unknown"},
        409: {"description": "not ready yet: wait for alert N83"},
    },
)
def download_report(
    report_id: Annotated[str, Path(max_length=40)], caller: CallerDep, c: ContainerDep
) -> FileResponse:
    """The CSV named in the N83 alert; only its own supplier may fetch it."""
    try:
        path = estate_status.report_file(c.uow(read_only=True), caller=caller, report_id=report_id)
    except ServiceRequestRefused as exc:  # as SR 11.8 answers it (E110801 404, E110802 409)
        error = NotFound if http_status(error_code(exc)) == 404 else Conflict
        raise error(exc.detail, **exc.extra) from exc
    return FileResponse(path, media_type="text/csv", filename=f"{report_id}.csv")
