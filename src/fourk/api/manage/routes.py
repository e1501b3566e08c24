"""Every management API route, in one table: the aiohttp routes and the OpenAPI document
are both made from it."""

from __future__ import annotations

from fourk.api.manage import (
    channels,
    limits,
    me,
    models,
    money,
    openapi,
    prices,
    redemption,
    site,
    users,
)
from fourk.api.manage.spec import INT_PATTERN, Query, Route

_USER_ID = "{user_id:" + INT_PATTERN + "}"
_CHANNEL_ID = "{channel_id:" + INT_PATTERN + "}"
_KEY_ID = "{key_id:" + INT_PATTERN + "}"
_TOKEN_ID = "{token_id:" + INT_PATTERN + "}"
_MODEL = "{name:.+}"  # model names may hold a slash (vendor/model)

_PAGE = (
    Query("q", "string", "part of the username"),
    Query("limit", "integer", "at most this many (default 50, at most 200)"),
    Query("offset", "integer", "skip this many"),
)

_LEDGER_PAGE = (
    Query("before", "integer", "entries older than this id (the last page's next_before)"),
    Query("limit", "integer", "at most this many (default 50, at most 200)"),
)

ROUTES: tuple[Route, ...] = (
    Route("GET", "/api/openapi.json", "api:openapi", openapi.openapi_json, "public", "meta",
          "This document."),
    # the caller's own account
    Route("GET", "/api/me", "api:me", me.get_me, "user", "me", "Who am I.", answer="Me"),
    Route("GET", "/api/me/keys", "api:me-keys", me.list_keys, "user", "me",
          "My API keys (without their secrets).", answer="Key", many=True),
    Route("POST", "/api/me/keys", "api:me-keys-create", me.create_key, "user", "me",
          "Make an API key; its secret is in the answer, this once.",
          body="KeyCreate", answer="NewKey", status=201),
    Route("POST", f"/api/me/keys/{_KEY_ID}/revoke", "api:me-keys-revoke", me.revoke_key,
          "user", "me", "Revoke one of my keys (another user's id is 404).", answer="Key"),
    Route("GET", "/api/me/balance", "api:me-balance", money.my_balance, "user", "me",
          "My balance in micro-dollars.", answer="Balance"),
    Route("GET", "/api/me/ledger", "api:me-ledger", money.my_ledger, "user", "me",
          "Every change to my balance, newest first; page with ?before=next_before.",
          answer="LedgerPage", query=_LEDGER_PAGE),
    Route("POST", "/api/me/redeem", "api:me-redeem", money.redeem, "user", "me",
          "Redeem a code once: its value goes to my balance. Unknown, used (409) and expired "
          "codes are refused; wrong guesses are throttled (429 with Retry-After).",
          body="Redeem", answer="Redeemed"),
    Route("GET", "/api/me/limits", "api:me-limits", limits.my_limits, "user", "me",
          "My own limits and those of each of my live keys (read-only).", answer="MyLimits"),
    Route("GET", f"/api/me/keys/{_KEY_ID}/limits", "api:me-key-limits", limits.my_key_limits,
          "user", "me", "One of my keys' limits (another user's id is 404).",
          answer="KeyLimits"),
    # users
    Route("GET", "/api/users", "api:users", users.list_users, "admin", "users",
          "List or search users.", answer="User", many=True, query=_PAGE),
    Route("POST", "/api/users", "api:users-create", users.create_user, "admin", "users",
          "Create a user; the password (given or generated) is in the answer.",
          body="UserCreate", answer="UserWithPassword", status=201),
    Route("GET", f"/api/users/{_USER_ID}", "api:user", users.get_user, "admin", "users",
          "One user.", answer="User"),
    Route("PATCH", f"/api/users/{_USER_ID}", "api:user-patch", users.patch_user, "admin",
          "users", "Change role, status (disabling ends their sessions) or display name. "
          "The last active admin cannot be demoted or disabled (409).",
          body="UserPatch", answer="User"),
    Route("POST", f"/api/users/{_USER_ID}/reset-password", "api:user-reset-password",
          users.reset_password, "admin", "users",
          "Set a generated one-time password (in the answer) and end their sessions.",
          answer="UserWithPassword"),
    Route("POST", f"/api/users/{_USER_ID}/balance", "api:user-balance",
          money.change_user_balance, "admin", "money",
          "Top up or deduct (never below zero) with a reason; the caller is recorded.",
          body="BalanceChange", answer="Balance"),
    # limits
    Route("GET", f"/api/users/{_USER_ID}/limits", "api:user-limits", limits.get_user_limits,
          "admin", "limits", "A user's limits over all their keys.", answer="UserLimits"),
    Route("PUT", f"/api/users/{_USER_ID}/limits", "api:user-limits-put",
          limits.put_user_limits, "admin", "limits",
          "Set all of a user's limits (missing or null: no limit); the next request obeys them.",
          body="LimitsSet", answer="UserLimits"),
    Route("GET", f"/api/keys/{_KEY_ID}/limits", "api:key-limits", limits.get_key_limits,
          "admin", "limits", "Any user's key's limits.", answer="KeyLimits"),
    Route("PUT", f"/api/keys/{_KEY_ID}/limits", "api:key-limits-put", limits.put_key_limits,
          "admin", "limits",
          "Set all of a key's limits (missing or null: no limit); the next request obeys them.",
          body="LimitsSet", answer="KeyLimits"),
    # money
    Route("GET", "/api/ledger", "api:ledger", money.all_ledger, "admin", "money",
          "Every user's ledger entries, newest first.", answer="LedgerPage",
          query=(Query("user_id", "integer", "only this user's"), *_LEDGER_PAGE)),
    Route("GET", "/api/prices", "api:prices", prices.list_prices, "admin", "money",
          "Every served model's price and where it comes from (null: free).",
          answer="PriceRow", many=True),
    Route("GET", f"/api/prices/{_MODEL}", "api:price", prices.get_price, "admin", "money",
          "One model's price.", answer="PriceRow"),
    Route("PUT", f"/api/prices/{_MODEL}", "api:price-put", prices.put_price, "admin", "money",
          "Set a model's price (per million tokens); the next request is billed at it.",
          body="PriceSet", answer="PriceRow"),
    Route("DELETE", f"/api/prices/{_MODEL}", "api:price-delete", prices.delete_price,
          "admin", "money", "Drop the operator's price: the shipped default (if any) applies.",
          answer="Deleted"),
    Route("GET", "/api/redemption-codes", "api:redemption-codes", redemption.list_batches,
          "admin", "money", "Batches of codes with redeemed counts; ?batch= adds its codes.",
          answer="CodeBatches", query=(Query("batch", "string", "one batch's label"),)),
    Route("POST", "/api/redemption-codes", "api:redemption-codes-create",
          redemption.make_batch, "admin", "money",
          "Make a batch of codes; the codes are in the answer, this once.",
          body="CodeBatchCreate", answer="NewCodeBatch", status=201),
    # channels
    Route("GET", "/api/channels", "api:channels", channels.list_channels, "admin",
          "channels", "List channels with their health.", answer="Channel", many=True),
    Route("POST", "/api/channels", "api:channels-create", channels.create_channel, "admin",
          "channels", "Add a channel.", body="ChannelCreate", answer="Channel", status=201),
    Route("GET", f"/api/channels/{_CHANNEL_ID}", "api:channel", channels.get_channel,
          "admin", "channels", "One channel.", answer="Channel"),
    Route("PATCH", f"/api/channels/{_CHANNEL_ID}", "api:channel-patch",
          channels.patch_channel, "admin", "channels",
          "Change a channel; api_key replaces the upstream secret (write-only).",
          body="ChannelPatch", answer="Channel"),
    Route("DELETE", f"/api/channels/{_CHANNEL_ID}", "api:channel-delete",
          channels.delete_channel, "admin", "channels", "Delete a channel.",
          answer="Deleted"),
    Route("POST", f"/api/channels/{_CHANNEL_ID}/test", "api:channel-test", channels.probe,
          "admin", "channels",
          "Send one tiny whole Responses request through this channel: OK and latency, "
          "or the error.", body="ChannelTest", answer="ChannelTestResult"),
    # models
    Route("GET", "/api/models", "api:models", models.list_models, "admin", "models",
          "Served models and catalog rows (aliases, hidden models).", answer="Model",
          many=True),
    Route("POST", "/api/models", "api:models-create", models.create_model, "admin",
          "models", "Add a catalog row: an alias (alias_of) or a served model's details.",
          body="ModelCreate", answer="Model", status=201),
    Route("PATCH", f"/api/models/{_MODEL}", "api:model-patch", models.patch_model, "admin",
          "models", "Change a model's or alias's catalog row (made if missing).",
          body="ModelPatch", answer="Model"),
    Route("DELETE", f"/api/models/{_MODEL}", "api:model-delete", models.delete_model, "admin",
          "models", "Delete a catalog row (an alias stops routing).", answer="Deleted"),
    # settings, invites, tokens
    Route("GET", "/api/settings", "api:settings", site.get_settings, "admin", "settings",
          "The site settings.", answer="Settings"),
    Route("PATCH", "/api/settings", "api:settings-patch", site.patch_settings, "admin",
          "settings", "Change site settings (live at once, no restart).",
          body="SettingsPatch", answer="Settings"),
    Route("GET", "/api/invites", "api:invites", site.list_invites, "admin", "settings",
          "Sign-up invite codes and their uses.", answer="Invite", many=True),
    Route("POST", "/api/invites", "api:invites-create", site.make_invite, "admin",
          "settings", "Make an invite code.", body="InviteCreate", answer="Invite",
          status=201),
    Route("GET", "/api/tokens", "api:tokens", site.list_tokens, "admin", "settings",
          "Management tokens (without their secrets).", answer="Key", many=True),
    Route("POST", "/api/tokens", "api:tokens-create", site.make_token, "admin", "settings",
          "Make a management token; its secret is in the answer, this once.",
          body="TokenCreate", answer="NewKey", status=201),
    Route("POST", f"/api/tokens/{_TOKEN_ID}/revoke", "api:token-revoke", site.revoke,
          "admin", "settings", "Revoke a management token.", answer="Key"),
)  # fmt: skip
