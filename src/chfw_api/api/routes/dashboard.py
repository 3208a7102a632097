"""DCC operator dashboard (BR5.4, BR5.5, issue #7): read-only HTML, hidden from the OpenAPI.

Browsers cannot easily send Bearer headers, so the DCC API key is taken from
`Authorization: Bearer` or from the `chfw_key` cookie that /dashboard/login sets (HttpOnly,
SameSite=Strict, Path=/dashboard). Failures are small HTML pages, not problem+json: a person
reads them. Nothing here changes state except that cookie.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from chfw_api.api.deps import ContainerDep
from chfw_api.api.html.detail import detail_page
from chfw_api.api.html.layout import HEADERS, error_page, login_page
from chfw_api.api.html.markup import Markup
from chfw_api.api.html.overview import overview_page
from chfw_api.bootstrap import Container
from chfw_api.domain.errors import Forbidden, NotFound, Unauthenticated
from chfw_api.domain.parties import Caller
from chfw_api.services import dcc_dashboard as svc

router = APIRouter(prefix="/dashboard", include_in_schema=False)
COOKIE = "chfw_key"
COOKIE_PATH = "/dashboard"
COOKIE_MAX_AGE = 12 * 3600  # one operator shift; the key itself stays valid until revoked
MAX_KEY = 200


def _html(markup: Markup, status: int = 200) -> HTMLResponse:
    return HTMLResponse(str(markup), status_code=status, headers=dict(HEADERS))


def _key(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.cookies.get(COOKIE)


def _refused(
    request: Request, exc: Unauthenticated | Forbidden, message: str | None
) -> HTMLResponse:
    if isinstance(exc, Forbidden):
        return _html(
            error_page(
                "Not for this party",
                f"Only DCC API keys may see the dashboard: {exc.detail}.",
                signed_in=False,
            ),
            403,
        )
    response = _html(login_page(message), 401)
    response.headers["WWW-Authenticate"] = 'Bearer realm="chfw"'
    if COOKIE in request.cookies:  # a stale or revoked key: forget it
        response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")
    return response


def _guarded(request: Request, c: Container, show: Callable[[Caller], Markup]) -> HTMLResponse:
    key = _key(request)
    try:
        caller = svc.operator(c.uow(read_only=True), key=key)
        return _html(show(caller))
    except (Unauthenticated, Forbidden) as exc:
        return _refused(request, exc, exc.detail if key else None)
    except NotFound as exc:
        return _html(error_page("Not found", exc.detail), 404)


@router.get("", response_class=HTMLResponse)
def overview(request: Request, c: ContainerDep) -> HTMLResponse:
    """Campaigns in flight with counts and deadlines per actor; incidents, decisions, alerts."""
    return _guarded(
        request,
        c,
        lambda caller: overview_page(svc.overview(c.uow(read_only=True), c.clock, caller=caller)),
    )


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign(campaign_id: str, request: Request, c: ContainerDep) -> HTMLResponse:
    """One campaign: shares, per-supplier outstanding actions, decisions, incidents, alerts."""
    return _guarded(
        request,
        c,
        lambda caller: detail_page(
            svc.campaign_detail(
                c.uow(read_only=True), c.clock, caller=caller, campaign_id=campaign_id
            )
        ),
    )


def _sign_in(request: Request, c: Container, key: str | None) -> Response:
    """Check the key first (a supplier's key is refused, not stored), then keep it in the
    cookie and send the browser to the overview."""
    try:
        svc.operator(c.uow(read_only=True), key=key)
    except (Unauthenticated, Forbidden) as exc:
        return _refused(request, exc, exc.detail)
    response = RedirectResponse("/dashboard", status_code=303, headers=dict(HEADERS))
    response.set_cookie(
        COOKIE,
        key or "",
        max_age=COOKIE_MAX_AGE,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    c: ContainerDep,
    key: Annotated[str | None, Query(max_length=MAX_KEY)] = None,
) -> Response:
    """The sign-in form. With `?key=` and `CHFW_DASHBOARD_KEY_IN_URL` on, it signs in like the
    POST (scripted browsers); off by default, as a key in a URL can end up in proxy logs and
    browser history. Refused, the key is never checked, so a URL cannot probe keys."""
    if key is None:
        return _html(login_page())
    if not c.settings.dashboard_key_in_url:
        message = "Signing in with a key in the address is turned off: use the form."
        return _html(login_page(message), 400)
    return _sign_in(request, c, key)


async def _form_key(request: Request) -> str | None:
    """The `key` field of a urlencoded form (no multipart parser needed for one field)."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return None
    try:
        fields = parse_qs((await request.body()).decode(), max_num_fields=4)
    except (UnicodeDecodeError, ValueError):
        return None
    key = (fields.get("key") or [""])[0].strip()
    return key[:MAX_KEY] or None


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request, c: ContainerDep, key: Annotated[str | None, Depends(_form_key)]
) -> Response:
    return _sign_in(request, c, key)


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/dashboard/login", status_code=303, headers=dict(HEADERS))
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")
    return response
