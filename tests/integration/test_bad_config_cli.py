"""Bad config and command-line input, through the installed command: exit 2 and one line.

Every case is something a user can type: a wrong type, a number that is
not finite or out of range, a malformed URL or port, a database folder
that does not exist, a file that is not UTF-8.  Each must exit 2 with one
stderr line naming the key, never ``unexpected error`` or a traceback,
and must create no database.  The cases run under every verb in turn,
since ``check-config`` must find whatever a later verb would hit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXE = shutil.which("orderupd-tui", path=str(Path(sys.executable).parent))
SECRET = "made-up-test-token-abcdef"

STORE = f"""\
  - name: main
    platform: shopify
    url: https://example.myshopify.com
    token: {SECRET}
"""
GOOD = f"database: sqlite:///orders.db\nstores:\n{STORE}"


def store(**keys: str) -> str:
    """The good config with the store entry's keys replaced (``None``-like "" drops one)."""
    fields = {"name": "main", "platform": "shopify", "url": "https://example.myshopify.com",
              "token": SECRET}
    fields.update(keys)
    body = "".join(f"    {k}: {v}\n" for k, v in fields.items() if v != "")
    return "database: sqlite:///orders.db\nstores:\n  - " + body[4:]


def mals(listen: str, extra: str = "") -> str:
    return f"stores:\n  - name: m\n    platform: mals\n    listen: {listen}\n{extra}"


QBO = """\
accounting:
  backend: quickbooks
  realm_id: "9130355555555555"
  token: qbo-0123456789abcdef
  item_ref: "1"
  customer_ref: "1"
"""

CASES: list[tuple[str, str]] = [
    # (config text, the key path the one line must start with)
    (store(url="12345"), "stores[0].url"),
    (store(token="[a, b]"), "stores[0].token"),
    (store(token="''"), "stores[0].token"),
    (store(token="{a: 1}"), "stores[0].token"),
    (store(url="ftp://example.com"), "stores[0].url"),
    (store(url="'https://exa mple.com'"), "stores[0].url"),
    (store(url="'https://example.com:99999'"), "stores[0].url"),
    (store(url="'https://example.com:port'"), "stores[0].url"),
    (store(url="'https://[::zz]/'"), "stores[0].url"),
    (store(url="'https://user:pw@example.com'"), "stores[0].url"),
    (store(client_id="abc123"), "stores[0].token"),
    (store(token="", client_id="abc123"), "stores[0].client_secret"),
    (store(token="", client_secret="s3cr3t-s3cr3t"), "stores[0].client_id"),
    (store(token=""), "stores[0].token"),
    (store(platform="ebay"), "stores[0].platform"),
    (store(platform=""), "stores[0].platform"),
    (store(name="'my shop'"), "stores[0].name"),
    (store(name="42"), "stores[0].name"),
    (store(since="yesterday"), "stores[0].since"),
    (store(api_version="2025"), "stores[0].api_version"),
    (store(colour="red"), "stores[0].colour"),
    (store(deadline=".nan"), "stores[0].deadline"),
    (store(timeout="0"), "stores[0].timeout"),
    (store(max_pages="0"), "stores[0].max_pages"),
    (store(max_pages="2.5"), "stores[0].max_pages"),
    (store(max_pages=".inf"), "stores[0].max_pages"),
    (GOOD + STORE, "stores[1].name"),
    ("stores:\n  - {name: w, platform: woocommerce, url: 'https://w.example', consumer_key: "
     "ck_0123456789, consumer_secret: cs_0123456789, query_string_auth: 'yes'}\n",
     "stores[0].query_string_auth"),
    ("stores:\n  - {name: b, platform: bigcommerce, store_hash: 'a/b', token: bc-0123456789}\n",
     "stores[0].store_hash"),
    ("stores:\n  - {name: d, platform: demo, url: 'http://127.0.0.1:1', as: ebay}\n",
     "stores[0].as"),
    ("stores:\n  - {name: d, platform: demo, url: 'http://127.0.0.1:1', as: woocommerce, "
     "client_id: app, client_secret: s3cr3t-s3cr3t}\n", "stores[0].client_id"),
    (mals("'127.0.0.1:99999'"), "stores[0].listen"),
    (mals("8765"), "stores[0].listen"),
    (mals("'127.0.0.1:8765'", "    currency: usd\n"), "stores[0].currency"),
    ("stores: {main: 1}\n", "stores"),
    ("stores:\n  - main\n", "stores[0]"),
    ("stores:\n  - {name: a, platform: [shopify]}\n", "stores[0].platform"),
    ("poll_interval: .nan\n", "poll_interval"),
    ("poll_interval: .inf\n", "poll_interval"),
    ("poll_interval: -1\n", "poll_interval"),
    ("poll_interval: soon\n", "poll_interval"),
    ("poll_interval: true\n", "poll_interval"),
    ("poll_interval: 1.0e+300\n", "poll_interval"),
    ("database: postgresql://user@db.example:notaport/orders\n", "database"),
    ("database: postgresql://user@[::zz]/orders\n", "database"),
    ("database: postgresql://user@db.example:5432\n", "database"),
    ("database: sqlite:////no/such/dir/x.db\n", "database"),
    ("database: sqlite://orders.db\n", "database"),
    ("database: mysql://x/y\n", "database"),
    ("database: 12\n", "database"),
    ("database: [sqlite]\n", "database"),
    ("keys:\n  refresh: 5\n", "keys.refresh"),
    ("keys:\n  refresh: [r, s]\n", "keys.refresh"),
    ("keys:\n  refresh: ''\n", "keys.refresh"),
    ("keys: [r]\n", "keys"),
    ("updates:\n  detect: [colour]\n", "updates.detect[0]"),
    ("updates:\n  detect: totals\n", "updates.detect"),
    ("updates:\n  rules:\n    - when: {kinds: [totals], posted: maybe}\n      action: accept\n",
     "updates.rules[0].when.posted"),
    ("updates:\n  rules:\n    - when: {kinds: [totals]}\n", "updates.rules[0].action"),
    ("updates:\n  rules: {a: 1}\n", "updates.rules"),
    ("updates: [detect]\n", "updates"),
    ("accounting:\n  backend: sage\n", "accounting.backend"),
    ("accounting:\n  on_reset: 5\n", "accounting.on_reset"),
    ("accounting:\n  path: .\n", "accounting.path"),
    ("accounting:\n  path: [a]\n", "accounting.path"),
    ("accounting:\n  accounts: [Income:Sales]\n", "accounting.accounts"),
    ("accounting:\n  accounts: {sales: 5}\n", "accounting.accounts"),
    ("accounting: 5\n", "accounting"),
    (QBO + "  timeout: .nan\n", "accounting.timeout"),
    (QBO + "  timeout: -1\n", "accounting.timeout"),
    (QBO + "  url: 'http://'\n", "accounting.url"),
    (QBO + "  url: 'https://quickbooks.example:0'\n", "accounting.url"),
    (QBO.replace('realm_id: "9130355555555555"', "realm_id: [1]"), "accounting.realm_id"),
    (QBO.replace("token: qbo-0123456789abcdef", "token: {a: 1}"), "accounting.token"),
    (QBO.replace('item_ref: "1"', "item_ref: true"), "accounting.item_ref"),
    ("colour: red\n", "colour"),
    ("stores:\n  - {name: a, platform: woocommerce, url: 'https://w.example', "
     "consumer_key: '${NO_SUCH_VAR_HERE}', consumer_secret: cs_0123456789}\n",
     "stores[0].consumer_key"),
]

VERBS: list[list[str]] = [["check-config"], ["poll"], ["orders", "--json"], ["updates"],
                          ["post", "main:1", "--yes"], ["history", "main:1"],
                          ["accept", "main:1"], ["poll", "--watch"]]


@pytest.fixture
def run(tmp_path: Path):
    assert EXE, "the orderupd-tui console script is not installed in this environment"
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    env.pop("ORDERUPD_CONFIG", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([EXE, *args], env=env, capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL, cwd=tmp_path)

    return run


def one_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a refused command, checked for what must never be there."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert "unexpected error" not in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert SECRET not in proc.stderr
    return lines[0].removeprefix("orderupd-tui: ")


@pytest.mark.parametrize(("index", "case"), list(enumerate(CASES)),
                         ids=[f"{i}-{key}" for i, (_, key) in enumerate(CASES)])
def test_bad_config_is_exit_2_and_one_line_naming_the_key(run, tmp_path: Path, index: int,
                                                          case: tuple[str, str]) -> None:
    text, key = case
    (tmp_path / "books").mkdir()
    config = tmp_path / "config.yaml"
    config.write_text(text, encoding="utf-8")
    verb = VERBS[index % len(VERBS)]
    line = one_line(run("--config", str(config), *verb))
    assert line.startswith(f"{key}: "), line
    assert line.endswith("(config.yaml)"), line
    assert not (tmp_path / "orders.db").exists()
    assert not (tmp_path / "data").exists()


def test_enough_cases() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize(("body", "expected"), [
    ("poll_interval: 10\n# caf\xe9\n".encode("latin-1"), "not UTF-8 text"),
    (b"stores:\n  - name: a\n   platform: [\n", "YAML error at line 3"),
    (b"- a\n- b\n", "the top level must be a mapping"),
])
def test_a_file_that_cannot_be_read_is_one_line_naming_the_file(run, tmp_path: Path,
                                                                body: bytes,
                                                                expected: str) -> None:
    config = tmp_path / "config.yaml"
    config.write_bytes(body)
    line = one_line(run("--config", str(config), "check-config"))
    assert "config.yaml" in line and expected in line, line


@pytest.mark.parametrize(("args", "key"), [
    (["demo-server", "--port", "99999"], "--port"),
    (["demo-server", "--port", "-1"], "--port"),
    (["demo-server", "--orders", "-5"], "--orders"),
    (["demo-server", "--platform", "ebay"], "--platform"),
    (["poll", "--store"], "--store"),
    (["orders", "--colour"], "--colour"),
])
def test_bad_command_line_options_are_one_line_naming_the_option(run, args: list[str],
                                                                 key: str) -> None:
    line = one_line(run(*args))
    assert key in line, line


@pytest.mark.parametrize("url", ["sqlite:////no/such/dir/x.db",
                                 "postgresql://user@db.example:notaport/orders",
                                 "postgresql://user@[::zz]/orders"])
def test_a_bad_db_option_is_one_line(run, tmp_path: Path, url: str) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(GOOD)
    line = one_line(run("--config", str(config), "--db", url, "orders"))
    assert line.startswith("database: ") and line.endswith("(--db)"), line


def test_no_database_is_created_for_a_missing_folder(run, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    missing = tmp_path / "typo" / "orders.db"
    config.write_text(f"database: sqlite:///{missing}\nstores: []\n")
    for verb in (["check-config"], ["orders"], ["poll"]):
        line = one_line(run("--config", str(config), *verb))
        assert line.startswith("database: ") and str(missing.parent) in line, line
    config.write_text("database: sqlite:///typo/orders.db\nstores: []\n")
    line = one_line(run("--config", str(config), "orders"))
    assert str(missing.parent) in line
    one_line(run("--config", str(config), "--db", f"sqlite:///{missing}", "orders"))
    assert not missing.parent.exists()
    # The same config with the folder made works, and only then is the database created.
    missing.parent.mkdir()
    ok = run("--config", str(config), "orders", "--json")
    assert ok.returncode == 0, ok.stderr
    assert missing.exists()
