"""Operator → Users: search, disable or enable, make or remove admins, and "adjust" one user
(display name, a generated one-time password, a top-up or deduction with a reason, their
price multiplier, their limits and those of each of their keys)."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from fourk.api.context import SERVICES
from fourk.api.manage.errors import Conflict
from fourk.billing.pricing import parse_dollars
from fourk.dashboard.render import render
from fourk.dashboard.session import admin_required, current_user, see_other
from fourk.dashboard.views.admin_form import attempt, page_status, read_form
from fourk.dashboard.views.billing import KIND_LABELS
from fourk.errors import FourkError
from fourk.limits.codec import NAMES as LIMIT_NAMES
from fourk.limits.describe import limits_from
from fourk.services.limits_admin import LimitsAdmin
from fourk.services.money_admin import change_balance, set_multiplier
from fourk.services.price_list import format_percent, parse_percent
from fourk.services.user_admin import UserAdmin, UserPatch

PAGE_SIZE = 100
RECENT_ENTRIES = 10


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/users", users_page, name="dash:admin-users")
    router.add_post(
        "/admin/users/{user_id:\\d+}/status", status_action, name="dash:admin-user-status"
    )
    router.add_post("/admin/users/{user_id:\\d+}/role", role_action, name="dash:admin-user-role")
    router.add_get("/admin/users/{user_id:\\d+}", user_page, name="dash:admin-user")
    router.add_post("/admin/users/{user_id:\\d+}/name", name_action, name="dash:admin-user-name")
    router.add_post(
        "/admin/users/{user_id:\\d+}/password", password_action, name="dash:admin-user-password"
    )
    router.add_post(
        "/admin/users/{user_id:\\d+}/balance", balance_action, name="dash:admin-user-balance"
    )
    router.add_post(
        "/admin/users/{user_id:\\d+}/multiplier",
        multiplier_action,
        name="dash:admin-user-multiplier",
    )
    router.add_post(
        "/admin/users/{user_id:\\d+}/limits", limits_action, name="dash:admin-user-limits"
    )
    router.add_post(
        "/admin/users/{user_id:\\d+}/keys/{key_id:\\d+}/limits",
        key_limits_action,
        name="dash:admin-user-key-limits",
    )


def _admin(request: web.Request) -> UserAdmin:
    services = request.app[SERVICES]
    return UserAdmin(services.store, services.directory)


def _limits(request: web.Request) -> LimitsAdmin:
    services = request.app[SERVICES]
    return LimitsAdmin(services.store, services.directory)


def _user_id(request: web.Request) -> int:
    return int(request.match_info["user_id"])


async def _users(
    request: web.Request, *, error: FourkError | None = None, query: str | None = None
) -> web.Response:
    query = request.query.get("q", "") if query is None else query
    users = await _admin(request).search(query, limit=PAGE_SIZE)
    block = "users" if request.headers.get("HX-Target") == "users" else None
    return render(
        request,
        "admin/users.html",
        block=block,
        status=page_status(request, error),
        users=users,
        q=query,
        me=current_user(request),
        error=error.message if error else None,
    )


@admin_required
async def users_page(request: web.Request) -> web.StreamResponse:
    return await _users(request)


async def _change(request: web.Request, field: str, allowed: tuple[str, ...]) -> web.StreamResponse:
    form = await read_form(request)
    value = form.text(field)
    if value not in allowed:
        raise web.HTTPBadRequest(text=f"{field} must be one of {', '.join(allowed)}")
    patch = UserPatch(**{field: value})
    _, error = await attempt(_admin(request).change(_user_id(request), patch))
    if error:
        return await _users(request, error=error, query=form.text("q"))
    back = form.text("q")
    return see_other(request, "/admin/users" + (f"?{urlencode({'q': back})}" if back else ""))


@admin_required
async def status_action(request: web.Request) -> web.StreamResponse:
    return await _change(request, "status", ("active", "disabled"))


@admin_required
async def role_action(request: web.Request) -> web.StreamResponse:
    return await _change(request, "role", ("user", "admin"))


async def _user(
    request: web.Request,
    *,
    error: FourkError | None = None,
    password: str | None = None,
    done: str | None = None,
) -> web.Response:
    person, missing = await attempt(_admin(request).get(_user_id(request)))
    if missing or person is None:
        raise web.HTTPNotFound(text=missing.message if missing else "no such user")
    ledger = request.app[SERVICES].store.ledger
    return render(
        request,
        "admin/user.html",
        status=page_status(request, error),
        person=person,
        balance=await ledger.balance(person.id),
        entries=await ledger.history(person.id, limit=RECENT_ENTRIES),
        kinds=KIND_LABELS,
        multiplier=format_percent(person.price_multiplier),
        keys=await _limits(request).live_keys(person.id),
        password=password,
        done=done,
        error=error.message if error else None,
    )


@admin_required
async def user_page(request: web.Request) -> web.StreamResponse:
    return await _user(request, done=request.query.get("done"))


@admin_required
async def name_action(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    patch = UserPatch(display_name=form.text("display_name"))
    _, error = await attempt(_admin(request).change(_user_id(request), patch))
    if error:
        return await _user(request, error=error)
    return see_other(request, f"/admin/users/{_user_id(request)}?done=name")


@admin_required
async def password_action(request: web.Request) -> web.StreamResponse:
    me = current_user(request)
    if me is not None and me.id == _user_id(request):
        own = "Change your own password under Account (it asks for the current one)."
        return await _user(request, error=Conflict(own))
    result, error = await attempt(_admin(request).reset_password(_user_id(request)))
    if error or result is None:
        return await _user(request, error=error)
    return await _user(request, password=result[1])


@admin_required
async def balance_action(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    form = await read_form(request)
    me = current_user(request)
    assert me is not None  # admin_required ran

    async def change() -> int:
        amount = parse_dollars(form.text("amount")) if form.text("amount") else 0
        return await change_balance(
            services.store, services.biller, _user_id(request), form.text("kind"), amount,
            form.text("reason"), me.id,
        )  # fmt: skip

    _, error = await attempt(change())
    if error:
        return await _user(request, error=error)
    return see_other(request, f"/admin/users/{_user_id(request)}?done=balance")


@admin_required
async def multiplier_action(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    form = await read_form(request)

    async def change() -> None:
        points = parse_percent(form.text("percent"))
        await set_multiplier(services.store, services.directory, _user_id(request), points)

    _, error = await attempt(change())
    if error:
        return await _user(request, error=error)
    return see_other(request, f"/admin/users/{_user_id(request)}?done=multiplier")


async def _save_limits(request: web.Request, key_id: int | None) -> web.StreamResponse:
    """Set the user's limits (key_id None) or those of one of their keys from the form."""
    form = await read_form(request)
    admin, user_id = _limits(request), _user_id(request)

    async def change() -> None:
        limits = limits_from({name: form.text(name) for name in LIMIT_NAMES})
        if key_id is None:
            await admin.set_user(user_id, limits)
        else:
            await admin.set_key(key_id, limits, owner_id=user_id)

    _, error = await attempt(change())
    if error:
        return await _user(request, error=error)
    done = "limits" if key_id is None else "key-limits"
    return see_other(request, f"/admin/users/{user_id}?done={done}#limits")


@admin_required
async def limits_action(request: web.Request) -> web.StreamResponse:
    return await _save_limits(request, None)


@admin_required
async def key_limits_action(request: web.Request) -> web.StreamResponse:
    return await _save_limits(request, int(request.match_info["key_id"]))
