"""Settings: defaults, FOURK_* env, overrides, masking, and the base URL users see."""

from __future__ import annotations

from pathlib import Path

import pytest

from fourk.settings import TABLE, Settings, default_data_dir


def load(env: dict[str, str] | None = None, **overrides: object) -> Settings:
    return Settings.load({"FOURK_DATA_DIR": "/tmp/fourk-test", **(env or {})}, **overrides)


def test_table_matches_the_settings_class() -> None:
    assert [s.name for s in TABLE] == list(Settings.__dataclass_fields__)
    assert all(s.env == "FOURK_" + s.name.upper() for s in TABLE)
    assert all(s.help.strip() for s in TABLE)


def test_defaults() -> None:
    settings = load()
    for setting in TABLE:
        if setting.name != "data_dir":
            assert getattr(settings, setting.name) == setting.default, setting.name
    assert settings.port == 8080
    assert settings.host == "127.0.0.1"


def test_env_values_are_converted() -> None:
    settings = load(
        {
            "FOURK_PORT": "9001",
            "FOURK_CONNECT_TIMEOUT": "2.5",
            "FOURK_HOST": "0.0.0.0",
            "FOURK_MAX_ATTEMPTS": "5",
            "FOURK_DATA_DIR": "/srv/fourk",
        }
    )
    assert settings.port == 9001
    assert isinstance(settings.port, int)
    assert settings.connect_timeout == 2.5
    assert settings.host == "0.0.0.0"
    assert settings.max_attempts == 5
    assert settings.data_dir == Path("/srv/fourk")


def test_empty_env_value_means_default() -> None:
    assert load({"FOURK_PORT": ""}).port == 8080


def test_other_env_vars_are_ignored() -> None:
    assert load({"PORT": "1", "fourk_port": "2", "FOURK_PORTS": "3"}).port == 8080


@pytest.mark.parametrize(
    ("name", "raw", "kind"),
    [
        ("FOURK_PORT", "abc", "int"),
        ("FOURK_PORT", "80.5", "int"),
        ("FOURK_IDLE_TIMEOUT", "soon", "float"),
    ],
)
def test_bad_env_value_names_the_variable(name: str, raw: str, kind: str) -> None:
    with pytest.raises(ValueError) as caught:
        load({name: raw})
    message = str(caught.value)
    assert name in message
    assert repr(raw) in message
    assert kind in message


def test_overrides_beat_env() -> None:
    settings = load({"FOURK_PORT": "9001", "FOURK_HOST": "10.0.0.1"}, port=7000)
    assert settings.port == 7000
    assert settings.host == "10.0.0.1"


def test_none_override_keeps_env() -> None:
    assert load({"FOURK_PORT": "9001"}, port=None).port == 9001


def test_data_dir_expands_user(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert load({"FOURK_DATA_DIR": "~/d"}).data_dir == tmp_path / "d"
    assert load(data_dir="~/e").data_dir == tmp_path / "e"


def test_default_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_data_dir() == tmp_path / "xdg" / "fourk"
    assert Settings.load({}).data_dir == tmp_path / "xdg" / "fourk"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_data_dir() == tmp_path / ".local" / "share" / "fourk"


def test_effective_database_url() -> None:
    assert load().effective_database_url == "sqlite+aiosqlite:////tmp/fourk-test/fourk.db"
    url = "postgresql+asyncpg://u@h/db"
    assert load({"FOURK_DATABASE_URL": url}).effective_database_url == url


def test_describe_masks_the_secret() -> None:
    secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYg"
    described = load({"FOURK_SECRET_KEY": secret}).describe()
    assert described["secret_key"] == "***"
    assert all(secret not in value for value in described.values())
    assert set(described) == {s.name for s in TABLE}
    assert described["port"] == "8080"
    assert all(isinstance(v, str) for v in described.values())


def test_describe_shows_an_empty_secret_as_empty() -> None:
    assert load().describe()["secret_key"] == ""


def test_every_secret_setting_is_masked() -> None:
    secrets = [s.name for s in TABLE if s.secret]
    assert "secret_key" in secrets
    settings = load().with_(**{name: "hunter2-value" for name in secrets})
    assert "hunter2-value" not in str(settings.describe())


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", 8080, "http://127.0.0.1:8080"),
        ("0.0.0.0", 9000, "http://127.0.0.1:9000"),
        ("::", 9000, "http://127.0.0.1:9000"),
        ("", 9000, "http://127.0.0.1:9000"),
        ("relay.example.com", 80, "http://relay.example.com:80"),
    ],
)
def test_base_url_from_host_and_port(host: str, port: int, expected: str) -> None:
    assert load(host=host, port=port).base_url == expected


def test_base_url_brackets_an_ipv6_host() -> None:
    assert load(host="::1").base_url == "http://[::1]:8080"


@pytest.mark.parametrize(
    ("public", "expected"),
    [
        ("https://relay.example.com", "https://relay.example.com"),
        ("https://relay.example.com/", "https://relay.example.com"),
        ("https://example.com/relay//", "https://example.com/relay"),
    ],
)
def test_base_url_prefers_public_base_url(public: str, expected: str) -> None:
    settings = load({"FOURK_PUBLIC_BASE_URL": public, "FOURK_HOST": "0.0.0.0"})
    assert settings.base_url == expected


def test_with_returns_a_changed_copy() -> None:
    settings = load()
    changed = settings.with_(port=1)
    assert changed.port == 1
    assert settings.port == 8080
