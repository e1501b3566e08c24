"""A user's API keys: list with "last seen", create, revoke, and the Use key dialog."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiohttp import web

from fourk.accounts.records import ApiKey, User
from fourk.api.context import SERVICES
from fourk.dashboard.render import render
from fourk.dashboard.session import current_user, login_required, redirect
from fourk.dashboard.use_key import use_key_context
from fourk.services.accounts import create_key, reveal_key

EXPIRY_CHOICES = {"never": None, "30": 30, "90": 90, "365": 365}
MAX_KEYS = 50


def _me(request: web.Request) -> User:
    user = current_user(request)
    assert user is not None  # login_required ran
    return user


async def _own_key(request: web.Request) -> ApiKey:
    """The key named in the URL if it belongs to the caller; 404 otherwise (never 403: a
    user must not learn that someone else's key id exists)."""
    try:
        key_id = int(request.match_info["key_id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    key = await request.app[SERVICES].store.keys.by_id(key_id)
    if key is None or key.user_id != _me(request).id or key.scope != "inference":
        raise web.HTTPNotFound()
    return key


@login_required
async def keys_page(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    user = _me(request)
    keys = [k for k in await services.store.keys.all(user.id) if k.scope == "inference"]
    keys.sort(key=lambda k: (k.revoked_at is not None, -k.id))
    seen = await services.store.log_reader.last_seen([k.id for k in keys])
    return render(
        request,
        "keys/index.html",
        block="keys" if request.headers.get("HX-Target") == "keys" else None,
        keys=keys,
        seen=seen,
        models=services.directory.served_models(),
        account_limits=user.limits,
        now=datetime.now(UTC),
        welcome=request.query.get("welcome") == "1",
        error=None,
    )


@login_required
async def create_key_action(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    user = _me(request)
    form = await request.post()
    name = str(form.get("name", "")).strip() or "default"
    served = set(services.directory.served_models())
    models = [str(m) for m in form.getall("models", []) if str(m) in served]
    days = EXPIRY_CHOICES.get(str(form.get("expires", "never")))
    existing = [k for k in await services.store.keys.all(user.id) if k.revoked_at is None]
    if len(name) > 128 or len(existing) >= MAX_KEYS:
        raise web.HTTPBadRequest(text="Key names have at most 128 characters; 50 keys at most.")
    new = await create_key(
        services.store,
        user,
        name=name,
        models=models or None,
        expires_at=datetime.now(UTC) + timedelta(days=days) if days else None,
    )
    raise redirect(request, f"/keys?use={new.record.id}")


@login_required
async def revoke_key_action(request: web.Request) -> web.StreamResponse:
    key = await _own_key(request)
    services = request.app[SERVICES]
    await services.store.keys.revoke(key.id)
    await services.directory.reload()
    raise redirect(request, "/keys")


@login_required
async def use_key_dialog(request: web.Request) -> web.StreamResponse:
    key = await _own_key(request)
    services = request.app[SERVICES]
    if key.revoked_at is not None:
        raise web.HTTPNotFound(text="This key is revoked.")
    secret = await reveal_key(services.store, key)
    context = use_key_context(
        services.directory,
        services.settings.base_url,
        key,
        secret,
        model=request.query.get("model"),
        review_model=request.query.get("review_model"),
        system=request.query.get("system"),
    )
    block = "dialog" if request.headers.get("HX-Request") == "true" else None
    return render(request, "keys/use.html", block=block, key=key, **context)
