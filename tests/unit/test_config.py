"""The config contract (DESIGN §5): lookup order, ${VAR}, relative paths, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from orderupd_tui.config import ConfigError, load, locate

GOOD = """\
database: sqlite:///orders.db
poll_interval: 60
stores:
  - name: main
    platform: shopify
    url: https://example.myshopify.com
    token: ${SHOP_TOKEN}
    since: 2026-01-01
  - name: mals
    platform: mals
    listen: 127.0.0.1:8765
updates:
  detect: [payment_status, cancelled]
  rules:
    - when: {kinds: [payment_status], posted: any}
      action: accept
accounting:
  backend: beancount
  path: books/orders.beancount
  on_reset: keep
keys:
  refresh: ctrl+r
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load(path)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_a_good_config_loads_with_variables_and_relative_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOP_TOKEN", "tok-123")
    settings = load(write(tmp_path, GOOD))
    assert settings.database == f"sqlite:///{tmp_path.resolve() / 'orders.db'}"
    assert settings.poll_interval == 60
    main, mals = settings.stores
    assert main.options["token"] == "tok-123"
    assert main.since.isoformat() == "2026-01-01T00:00:00+00:00"
    assert not mals.supports_updates and main.supports_updates
    assert settings.detect == {"payment_status", "cancelled"}
    assert settings.rules[0].posted == "any" and settings.rules[0].action == "accept"
    assert settings.accounting.options["path"] == str(tmp_path.resolve() / "books/orders.beancount")
    assert settings.keys == {"refresh": "ctrl+r"}
    assert "tok-123" not in repr(settings)


def test_lookup_order_is_flag_then_env_then_user_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ORDERUPD_CONFIG", str(tmp_path / "env.yaml"))
    assert locate("given.yaml") == Path("given.yaml")
    assert locate(None) == tmp_path / "env.yaml"
    monkeypatch.delenv("ORDERUPD_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert locate(None) == tmp_path / "xdg" / "orderupd-tui" / "config.yaml"


def test_detect_defaults_to_every_kind(tmp_path):
    settings = load(write(tmp_path, "stores: []\n"))
    assert "accounting_status" in settings.detect and len(settings.detect) == 11


def test_missing_file(tmp_path):
    assert error_of(tmp_path / "nope.yaml") == f"config file not found: {tmp_path / 'nope.yaml'}"


def test_bad_yaml_names_the_line(tmp_path):
    message = error_of(write(tmp_path, "stores:\n  - name: a\n   platform: [\n"))
    assert "YAML error at line 3" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("stores:\n  - {name: a, platform: ebay}\n",
         "stores[0].platform: unknown platform 'ebay'"),
        ("stores:\n  - {name: a, platform: mals, listen: '127.0.0.1:1'}\n"
         "  - {name: a, platform: mals, listen: '127.0.0.1:2'}\n",
         "stores[1].name: duplicate store name 'a'"),
        ("stores:\n  - {name: a, platform: woocommerce, url: u, consumer_key: '${NO_SUCH_VAR}',"
         " consumer_secret: s}\n",
         "stores[0].consumer_key: environment variable NO_SUCH_VAR is not set"),
        ("poll_interval: soon\n", "poll_interval: must be a number of seconds >= 0"),
        ("poll_interval: -5\n", "poll_interval: must be a number of seconds >= 0"),
        ("updates:\n  detect: [payment_status, colour]\n",
         "updates.detect[1]: unknown change kind 'colour'"),
        ("updates:\n  rules:\n    - when: {kinds: [totals, shipping]}\n      action: accept\n",
         "updates.rules[0].when.kinds[1]: unknown change kind 'shipping'"),
        ("updates:\n  rules:\n    - when: {kinds: [totals]}\n      action: delete\n",
         "updates.rules[0].action: unknown action 'delete'"),
        ("stores:\n  - {name: a, platform: shopify, url: u}\n",
         "stores[0].token: is required for platform shopify"),
        ("stores:\n  - {name: a, platform: shopify, url: u, token: t, colour: red}\n",
         "stores[0].colour: unknown key"),
        ("accounting:\n  on_reset: maybe\n", "accounting.on_reset: must be one of ask, void, keep"),
        ("database: mysql://x/y\n", "database: unsupported database 'mysql'"),
    ],
)
def test_each_invalid_value_names_its_key_and_the_file(tmp_path, text, expected):
    message = error_of(write(tmp_path, text))
    assert message.startswith(expected)
    assert message.endswith("(config.yaml)")


def test_example_config_is_valid(monkeypatch):
    example = Path(__file__).resolve().parents[2] / "config.example.yaml"
    for var in ("SHOPIFY_TOKEN", "WC_KEY", "WC_SECRET", "BC_TOKEN", "M2_TOKEN"):
        monkeypatch.setenv(var, "x")
    settings = load(example)
    assert {s.platform for s in settings.stores} >= {"shopify", "woocommerce", "bigcommerce",
                                                       "magento", "mals"}


def test_variables_expand_at_any_depth(tmp_path, monkeypatch):
    monkeypatch.setenv("KIND", "totals")
    monkeypatch.setenv("REFRESH_KEY", "ctrl+r")
    settings = load(write(tmp_path, "updates:\n  detect: [payment_status, '${KIND}']\n"
                                    "keys:\n  refresh: ${REFRESH_KEY}\n"))
    assert settings.detect == {"payment_status", "totals"}
    assert settings.keys == {"refresh": "ctrl+r"}
    monkeypatch.delenv("KIND")
    assert error_of(write(tmp_path, "updates:\n  detect: [payment_status, '${KIND}']\n")) == (
        "updates.detect[1]: environment variable KIND is not set (config.yaml)")
