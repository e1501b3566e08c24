"""Turning two-factor sign-in on and off, and new recovery codes (under /account)."""

from __future__ import annotations

import segno
from aiohttp import web
from markupsafe import Markup

from fourk.api.context import SERVICES
from fourk.dashboard.render import render
from fourk.dashboard.session import login_required, redirect, see_other
from fourk.dashboard.throttling import code_checked, password_checked
from fourk.dashboard.views.account_page import account_response, locked_out, me
from fourk.services.two_factor import Enrollment

NO_STORE = {"Cache-Control": "no-store"}  # pages with secrets stay out of caches


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/account/two-factor", enrol_page, name="dash:two-factor")
    router.add_post("/account/two-factor", confirm_action, name="dash:two-factor-confirm")
    router.add_post("/account/two-factor/disable", disable_action, name="dash:two-factor-disable")
    router.add_post(
        "/account/two-factor/recovery-codes", regenerate_action, name="dash:two-factor-codes"
    )


def qr_svg(uri: str) -> Markup:
    """The URI as an inline SVG QR code (dark on white, so it scans in dark mode too)."""
    code = segno.make(uri, error="m")
    return Markup(code.svg_inline(scale=5, dark="#000", light="#fff", svgclass="qr"))


def _enrol_response(
    request: web.Request, enrollment: Enrollment, status: int = 200, error: str | None = None
) -> web.Response:
    return render(
        request,
        "account/two_factor.html",
        status=status,
        headers=NO_STORE,
        enrollment=enrollment,
        qr=qr_svg(enrollment.uri),
        grouped_secret=" ".join(
            enrollment.secret[i : i + 4] for i in range(0, len(enrollment.secret), 4)
        ),
        error=error,
    )


def _codes_response(request: web.Request, codes: list[str], fresh: bool) -> web.Response:
    return render(
        request, "account/recovery_codes.html", headers=NO_STORE, codes=codes, fresh=fresh
    )


@login_required
async def enrol_page(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    user = me(request)
    if user.two_factor:
        raise redirect(request, "/account")
    enrollment = services.two_factor.begin(user, services.directory.site.site_name)
    return _enrol_response(request, enrollment)


@login_required
async def confirm_action(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    user = me(request)
    if user.two_factor:
        raise redirect(request, "/account")
    form = await request.post()
    issuer = services.directory.site.site_name
    enrollment = services.two_factor.resume(user, str(form.get("enrollment", "")), issuer)
    if enrollment is None:
        fresh = services.two_factor.begin(user, issuer)
        problem = "That setup expired. Scan this new code and try again."
        return _enrol_response(request, fresh, status=400, error=problem)
    codes = await services.two_factor.confirm(user, enrollment, str(form.get("code", "")))
    if codes is None:
        problem = "That code did not work. Check the time on your phone and try the next code."
        return _enrol_response(request, enrollment, status=400, error=problem)
    return _codes_response(request, codes, fresh=True)


@login_required
async def disable_action(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    user = me(request)
    if not user.two_factor:
        raise redirect(request, "/account")
    form = await request.post()
    checked = await password_checked(request, user.username, str(form.get("password", "")))
    if checked.ok:
        checked = await code_checked(request, user, str(form.get("code", "")))
    if checked.wait:
        return await locked_out(request, checked.wait)
    if not checked.ok:
        problem = "The password or the code is not right."
        return await account_response(request, status=400, errors={"two_factor": problem})
    await services.two_factor.disable(user)
    return see_other(request, "/account?done=disabled")


@login_required
async def regenerate_action(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    user = me(request)
    if not user.two_factor:
        raise redirect(request, "/account")
    form = await request.post()
    checked = await password_checked(request, user.username, str(form.get("password", "")))
    if checked.wait:
        return await locked_out(request, checked.wait)
    if not checked.ok:
        problem = "Your password is not right."
        return await account_response(request, status=400, errors={"codes": problem})
    return _codes_response(request, await services.two_factor.regenerate(user), fresh=False)
