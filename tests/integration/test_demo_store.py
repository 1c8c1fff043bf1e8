"""The demo store over loopback, as a connector meets it: Shopify's API and its quirks.

Each server runs in its own process (``spawn_demo_server``) and is spoken to
with plain httpx, so these tests check the wire, not our own functions.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

from orderupd_tui.demo.control import DemoControlError
from orderupd_tui.demo.process import DemoProcess, spawn_demo_server
from orderupd_tui.demo.server import DemoServer
from orderupd_tui.demo.totals import cents

ORDERS = "/admin/api/2026-07/orders.json"
COUNT = "/admin/api/2026-07/orders/count.json"
PAGE_INFO_ERROR = ("status cannot be passed when page_info is present. "
                   "See https://shopify.dev/api/usage/pagination-rest for more information.")


def one(path: str) -> str:
    return f"/admin/api/2026-07/orders/{path}.json"


@pytest.fixture(scope="module")
def pristine() -> Iterator[DemoProcess]:
    """500 orders nobody changes: for paging and filters."""
    with spawn_demo_server(orders=500, seed=11, rate_limit=False) as demo:
        yield demo


@pytest.fixture(scope="module")
def mutable() -> Iterator[DemoProcess]:
    """A store the tests change, delete from and inject faults into."""
    with spawn_demo_server(orders=300, seed=12, rate_limit=False) as demo:
        yield demo


def api(demo: DemoProcess, token: str | None = None) -> httpx.Client:
    return httpx.Client(base_url=demo.url, timeout=30,
                        headers={"X-Shopify-Access-Token": token or demo.token})


def ids_of(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [o["id"] for o in response.json()["orders"]]


# --- listing and paging --------------------------------------------------------------------------


def test_pages_link_on_to_a_last_page_that_ends_exactly_on_the_total(
        pristine: DemoProcess) -> None:
    with api(pristine) as client:
        total = client.get(COUNT, params={"status": "any"}).json()["count"]
        assert total == 500
        first = client.get(ORDERS, params={"status": "any", "limit": 250})
        assert set(first.links) == {"next"}
        assert re.fullmatch(r'<http://127\.0\.0\.1:\d+/admin/api/2026-07/orders\.json'
                            r'\?limit=250&page_info=[\w-]+>; rel="next"', first.headers["link"])
        second = client.get(first.links["next"]["url"])
        assert set(second.links) == {"previous"}  # 500 = 2 x 250: no empty third page
        seen = ids_of(first) + ids_of(second)
        assert seen == sorted(set(seen)) and len(seen) == total
        back = client.get(second.links["previous"]["url"])
        assert ids_of(back) == ids_of(first)

        pages: list[list[int]] = []
        response = client.get(ORDERS, params={"status": "any", "limit": 100})
        while True:
            pages.append(ids_of(response))
            if "next" not in response.links:
                break
            response = client.get(response.links["next"]["url"])
        assert [len(p) for p in pages] == [100] * 5
        assert [i for page in pages for i in page] == seen


def test_default_limit_is_50_and_250_is_the_most(pristine: DemoProcess) -> None:
    with api(pristine) as client:
        assert len(ids_of(client.get(ORDERS, params={"status": "any"}))) == 50
        too_many = client.get(ORDERS, params={"status": "any", "limit": 251})
        assert too_many.status_code == 400
        assert too_many.json() == {"errors": {"limit": "Invalid value."}}


def test_page_info_with_another_filter_is_refused_as_shopify_does(pristine: DemoProcess) -> None:
    with api(pristine) as client:
        first = client.get(ORDERS, params={"status": "any", "limit": 10})
        cursor = httpx.URL(first.links["next"]["url"]).params["page_info"]
        refused = client.get(ORDERS, params={"page_info": cursor, "status": "any"})
        assert refused.status_code == 400
        assert refused.json() == {"errors": {"status": PAGE_INFO_ERROR}}
        allowed = client.get(ORDERS, params={"page_info": cursor, "limit": 5, "fields": "id"})
        assert allowed.status_code == 200
        assert [set(o) for o in allowed.json()["orders"]] == [{"id"}] * 5
        bogus = client.get(ORDERS, params={"page_info": "not-a-cursor"})
        assert bogus.status_code == 400
        assert bogus.json() == {"errors": {"page_info": "Invalid value."}}


def test_status_open_by_default_hides_cancelled_and_archived(pristine: DemoProcess) -> None:
    with api(pristine) as client:
        open_orders = client.get(ORDERS, params={"limit": 250}).json()["orders"]
        assert open_orders and all(
            o["cancelled_at"] is None and o["closed_at"] is None for o in open_orders)
        cancelled = client.get(ORDERS, params={"status": "cancelled", "limit": 250})
        assert cancelled.json()["orders"]
        assert all(o["cancelled_at"] for o in cancelled.json()["orders"])
        counts = {s: client.get(COUNT, params={"status": s}).json()["count"]
                  for s in ("open", "any", "cancelled", "closed")}
        assert counts["open"] == client.get(COUNT).json()["count"]
        assert counts["open"] < counts["any"] == 500
        assert counts["cancelled"] > 0 and counts["closed"] > 0


def test_updated_at_bounds_are_inclusive_in_any_offset(pristine: DemoProcess) -> None:
    with api(pristine) as client:
        order = client.get(ORDERS, params={"status": "any", "limit": 1}).json()["orders"][0]
        stamp = datetime.fromisoformat(order["updated_at"])
        assert stamp.utcoffset() == timedelta(hours=-5)
        as_utc = stamp.astimezone(UTC).isoformat()  # the "+" must survive the query string
        later = (stamp + timedelta(seconds=1)).isoformat()
        only = {"status": "any", "ids": str(order["id"])}
        assert ids_of(client.get(ORDERS, params={**only, "updated_at_min": as_utc})) == [
            order["id"]]
        assert ids_of(client.get(ORDERS, params={**only, "updated_at_max": as_utc})) == [
            order["id"]]
        assert ids_of(client.get(ORDERS, params={**only, "updated_at_min": later})) == []

        recent = client.get(ORDERS, params={"status": "any", "limit": 250,
                                            "updated_at_min": as_utc}).json()["orders"]
        assert recent and all(datetime.fromisoformat(o["updated_at"]) >= stamp for o in recent)
        broken = client.get(ORDERS, params={"updated_at_min": "yesterday"})
        assert broken.status_code == 400 and "updated_at_min" in broken.json()["errors"]


def test_ids_since_id_and_fields_filters(pristine: DemoProcess) -> None:
    with api(pristine) as client:
        everything = ids_of(client.get(ORDERS, params={"status": "any", "limit": 250}))
        picked = [everything[3], everything[70], everything[200]]
        by_ids = client.get(ORDERS, params={"status": "any",
                                            "ids": ",".join(map(str, reversed(picked)))})
        assert ids_of(by_ids) == picked
        since = ids_of(client.get(ORDERS, params={"status": "any", "since_id": everything[9],
                                                  "limit": 5}))
        assert since == everything[10:15]
        slim = client.get(ORDERS, params={"status": "any", "limit": 2,
                                          "fields": "id,name,total-price"}).json()["orders"]
        assert [set(o) for o in slim] == [{"id", "name", "total_price"}] * 2


def test_single_order_and_count(pristine: DemoProcess) -> None:
    with api(pristine) as client:
        listed = client.get(ORDERS, params={"status": "any", "limit": 1}).json()["orders"][0]
        got = client.get(one(str(listed["id"])))
        assert got.status_code == 200 and got.json() == {"order": listed}
        missing = client.get(one("1"))
        assert missing.status_code == 404 and missing.json() == {"errors": "Not Found"}
        assert client.get(COUNT, params={"status": "any"}).json() == {"count": 500}


def test_a_wrong_or_missing_token_is_401(pristine: DemoProcess) -> None:
    body = {"errors": "[API] Invalid API key or access token "
                      "(unrecognized login or wrong password)"}
    with api(pristine, token="wrong") as client:
        wrong = client.get(ORDERS)
    missing = httpx.get(pristine.url + ORDERS)
    for response in (wrong, missing):
        assert response.status_code == 401 and response.json() == body


def test_every_response_carries_the_store_date(pristine: DemoProcess) -> None:
    with api(pristine) as client:
        responses = [client.get(ORDERS), client.get(one("1")), httpx.get(pristine.url + ORDERS),
                     client.get(ORDERS, params={"limit": 999})]
    store_now = datetime.fromisoformat(pristine.control.info()["now"])
    for response in responses:
        date = parsedate_to_datetime(response.headers["date"])
        assert response.headers["date"].endswith(" GMT")
        assert abs(date - store_now) < timedelta(minutes=5)


# --- rate limit ----------------------------------------------------------------------------------


def test_the_leaky_bucket_answers_429_with_retry_after() -> None:
    with spawn_demo_server(orders=5, seed=1) as demo, api(demo) as client:
        levels = []
        for _ in range(80):
            response = client.get(COUNT)
            levels.append(response.headers["x-shopify-shop-api-call-limit"])
            if response.status_code == 429:
                break
        assert response.status_code == 429
        assert response.headers["retry-after"] == "2.0"
        assert response.json() == {"errors": "Exceeded 2 calls per second for api client. "
                                              "Reduce request rates to resume uninterrupted "
                                              "service."}
        assert levels[0] == "1/40" and levels[-1] == "40/40"
        assert len(levels) >= 41
        assert demo.control.stats()["rate_limited"] == 1


# --- changes -------------------------------------------------------------------------------------


def _fresh(demo: DemoProcess, kind: str) -> dict[str, Any]:
    """An order ``kind`` applies to that no earlier change touched in this very second."""
    now = demo.control.info()["now"]
    for summary in demo.control.orders(eligible=kind):
        if datetime.fromisoformat(summary["updated_at"]) < datetime.fromisoformat(now):
            order = demo.control.order(summary["id"])
            assert order is not None
            return order
    raise AssertionError(f"no order left for {kind}")


def _adds_up(order: dict[str, Any]) -> bool:
    shipping = cents(order["total_shipping_price_set"]["shop_money"]["amount"])
    return cents(order["total_price"]) == (
        cents(order["total_line_items_price"]) - cents(order["total_discounts"])
        + shipping + cents(order["total_tax"]))


def _changed(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    return {k for k in after if after[k] != before.get(k)} - {"updated_at"}


@pytest.mark.parametrize("kind", ["capture_payment", "fulfil", "cancel", "refund", "edit_address",
                                  "edit_line", "edit_note", "close", "touch"])
def test_each_change_kind_alters_its_fields_and_bumps_updated_at(mutable: DemoProcess,
                                                                 kind: str) -> None:
    before = _fresh(mutable, kind)
    now = datetime.fromisoformat(mutable.control.info()["now"])
    after = mutable.control.change(before["id"], kind)
    changed = _changed(before, after)
    stamp = datetime.fromisoformat(after["updated_at"])
    assert stamp >= now > datetime.fromisoformat(before["updated_at"])
    assert _adds_up(after)

    if kind == "capture_payment":
        assert after["financial_status"] == "paid" and after["total_outstanding"] == "0.00"
        assert changed == {"financial_status", "total_outstanding"}
    elif kind == "fulfil":
        assert after["fulfillment_status"] == "fulfilled"
        assert len(after["fulfillments"]) == len(before["fulfillments"]) + 1
        assert all(li["fulfillment_status"] == "fulfilled"
                   for li in after["line_items"] if li["current_quantity"])
    elif kind == "cancel":
        assert after["cancelled_at"] == after["updated_at"] and after["cancel_reason"]
        if before["financial_status"] in ("pending", "authorized"):
            assert after["financial_status"] == "voided"
        else:
            assert after["financial_status"] == "refunded" and after["refunds"]
        assert after["current_total_price"] == "0.00"
    elif kind == "refund":
        (refund,) = after["refunds"][len(before["refunds"]):]
        (tx,) = refund["transactions"]
        assert tx["kind"] == "refund" and tx["status"] == "success"
        assert after["financial_status"] in ("partially_refunded", "refunded")
        assert cents(after["current_total_price"]) == (
            cents(before["current_total_price"]) - cents(tx["amount"]))
    elif kind == "edit_address":
        assert changed == {"shipping_address"}
    elif kind == "edit_line":
        assert "line_items" in changed
        assert cents(after["total_price"]) > cents(before["total_price"])
        assert sum(li["quantity"] for li in after["line_items"]) == (
            sum(li["quantity"] for li in before["line_items"]) + 1)
    elif kind == "edit_note":
        assert changed == {"note"} and after["note"]
    elif kind == "close":
        assert changed == {"closed_at"}
    else:
        assert changed == set()

    with api(mutable) as client:
        assert client.get(one(str(after["id"]))).json() == {"order": after}
        since = client.get(ORDERS, params={"status": "any", "updated_at_min": stamp.isoformat()})
        assert after["id"] in ids_of(since)


def test_a_late_commit_keeps_its_earlier_timestamp(mutable: DemoProcess) -> None:
    before = _fresh(mutable, "edit_note")
    earlier = datetime.fromisoformat(mutable.control.info()["now"]) - timedelta(minutes=3)
    after = mutable.control.change(before["id"], "edit_note", updated_at=earlier)
    assert datetime.fromisoformat(after["updated_at"]) == earlier
    assert after["updated_at"].endswith("-05:00")
    with api(mutable) as client:
        found = client.get(ORDERS, params={"status": "any",
                                           "updated_at_min": earlier.isoformat(),
                                           "updated_at_max": earlier.isoformat()})
        assert after["id"] in ids_of(found)


def test_a_change_the_order_state_forbids_is_refused(mutable: DemoProcess) -> None:
    (fulfilled,) = mutable.control.orders(fulfillment_status="fulfilled", cancelled=False,
                                          limit=1)
    with pytest.raises(DemoControlError) as refused:
        mutable.control.change(fulfilled["id"], "cancel")
    assert refused.value.status == 409 and "fulfillment_status is fulfilled" in str(refused.value)
    with pytest.raises(DemoControlError) as unknown:
        mutable.control.change(fulfilled["id"], "explode")
    assert unknown.value.status == 400


def test_a_deleted_order_is_gone(mutable: DemoProcess) -> None:
    (victim,) = mutable.control.orders(limit=1)
    assert mutable.control.delete(victim["id"])
    with api(mutable) as client:
        gone = client.get(one(str(victim["id"])))
        assert gone.status_code == 404 and gone.json() == {"errors": "Not Found"}
        assert ids_of(client.get(ORDERS, params={"status": "any", "ids": victim["id"]})) == []
    assert not mutable.control.delete(victim["id"])
    assert mutable.control.order(victim["id"]) is None


def test_new_orders_continue_the_numbering(mutable: DemoProcess) -> None:
    last = mutable.control.orders()[-1]
    new_ids = mutable.control.add_orders(3)
    assert len(new_ids) == 3 and min(new_ids) > last["id"] and new_ids == sorted(new_ids)
    with api(mutable) as client:
        new = client.get(ORDERS, params={"status": "any", "since_id": last["id"]})
        assert [o["order_number"] for o in new.json()["orders"]] == [
            last["order_number"] + 1, last["order_number"] + 2, last["order_number"] + 3]


# --- faults --------------------------------------------------------------------------------------


def test_queued_faults_hit_the_next_api_requests_then_stop(mutable: DemoProcess) -> None:
    control = mutable.control
    control.reset_stats()
    assert control.fault(500, count=2) == 2
    with api(mutable) as client:
        assert [client.get(COUNT).status_code for _ in range(3)] == [500, 500, 200]

        control.fault(502, body="html")
        html = client.get(ORDERS)
        assert html.status_code == 502
        assert html.headers["content-type"].startswith("text/html")
        assert "<title>502 Bad Gateway</title>" in html.text

        control.fault(body="malformed")
        broken = client.get(ORDERS)
        assert broken.status_code == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(broken.content)

        control.fault(429, retry_after=7)
        limited = client.get(ORDERS)
        assert limited.status_code == 429 and limited.headers["retry-after"] == "7.0"
        assert client.get(ORDERS).status_code == 200
    assert control.orders(limit=1)  # the control API is never faulted
    stats = control.stats()
    assert stats["faults_applied"] == 5 and stats["faults_pending"] == 0
    assert stats["by_status"] == {"500": 2, "200": 3, "502": 1, "429": 1}
    assert stats["rate_limited"] == 0
    assert stats["api_requests"] == 7


# --- running it ----------------------------------------------------------------------------------


def test_the_command_prints_one_line_and_stops_cleanly_on_a_signal() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "orderupd_tui.demo", "--orders", "20", "--tz-offset", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.fullmatch(r"demo store \(shopify\) at (http://127\.0\.0\.1:\d+) "
                             r"token demo-token client_id (demo-app-\w+) "
                             r"client_secret (shpss_\w+)\n", line)
        assert match, line
        response = httpx.get(match[1] + ORDERS, headers={"X-Shopify-Access-Token": "demo-token"})
        assert response.json()["orders"][0]["created_at"].endswith("+01:00")
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert out == "" and "Traceback" not in err


def test_a_bad_option_is_a_usage_error() -> None:
    result = subprocess.run([sys.executable, "-m", "orderupd_tui.demo", "--platform", "etsy"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "invalid choice: 'etsy'" in result.stderr


def test_the_in_process_server_serves_from_a_thread() -> None:
    with DemoServer(orders=30, seed=2, port=0) as server:
        response = httpx.get(server.url + ORDERS, params={"status": "any", "limit": 250},
                             headers={"X-Shopify-Access-Token": server.token})
        assert len(response.json()["orders"]) == 30
        url = server.url
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + ORDERS)


def test_the_schedule_changes_orders_by_itself() -> None:
    """change_every drives a background thread; we wait for its changes, never time them."""
    changes: list[str] = []
    three = threading.Event()

    def seen(kind: str, order: dict[str, Any]) -> None:
        changes.append(kind)
        if len(changes) >= 3:
            three.set()

    with DemoServer(orders=50, seed=4, change_every=0.05, on_change=seen):
        assert three.wait(timeout=60)
    assert changes[:3] == ["capture_payment", "fulfil", "edit_address"]
