"""The public page (一公开) in real headless Chromium: plans, draw, results, search, downloads, guide."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pymongo
import pytest
from playwright.sync_api import sync_playwright
from secantus import SecantusDBServer
from typer.testing import CliRunner

from api.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
ECOINSPECT = Path(sys.executable).with_name("ecoinspect")
CHROMIUM = "/usr/bin/chromium"
runner = CliRunner()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def site(db_server: SecantusDBServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    env = {"MONGODB_URI": db_server.uri, "ECOINSPECT_DATABASE_NAME": f"pub_{uuid.uuid4().hex[:8]}"}
    previous = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        _cli("demo", "--enterprises", "300")
        # This quarter: a result is dated within its plan's period and never in the future.
        plan_id = _cli("plan", "create", "--name", "西安市2027年第一季度双随机抽查", "--jurisdiction", "610100",
                       "--start", "2026-10-01", "--end", "2026-12-31", "--matter", "STJ-WRY-01",
                       "--ratio", "general=0.3").strip().splitlines()[-1]
        hidden_id = _cli("plan", "create", "--name", "未冻结的草稿计划", "--jurisdiction", "610100",
                         "--start", "2027-01-01", "--end", "2027-03-31", "--matter", "STJ-WRY-01").strip()
        _cli("plan", "freeze", plan_id)
        _cli("plan", "draw", plan_id, "--public-value", "5 0 8 3 2")
        _cli("plan", "publish", plan_id)
        port = _free_port()
        log = (tmp_path_factory.mktemp("site") / "serve.log").open("wb")
        process = subprocess.Popen([str(ECOINSPECT), "serve", "--port", str(port)], cwd=ROOT, stdout=log,
                                   stderr=subprocess.STDOUT, env={**os.environ, "ECOINSPECT_LOG_JSON": "false"},
                                   start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.25)
        token = httpx.post(f"{base}/auth/token", data={"username": "supervisor1",
                                                       "password": "ecoinspect-demo"}).json()["access_token"]
        headers = {"authorization": f"Bearer {token}"}
        tasks = httpx.post(f"{base}/graphql", headers=headers, json={
            "query": "query($p: String!) { planTasks(planId: $p) { taskId enterpriseName } }",
            "variables": {"p": plan_id}}).json()["data"]["planTasks"]
        with pymongo.MongoClient(db_server.uri) as client:  # as if inspected and submitted from the field
            client[env["ECOINSPECT_DATABASE_NAME"]]["tasks"].update_one({"_id": tasks[0]["taskId"]},
                                                                       {"$set": {"status": "submitted"}})
        recorded = httpx.post(f"{base}/graphql", headers=headers, json={
            "query": "mutation($t: String!) { recordTaskResult(input: {taskId: $t, outcome: VIOLATION_FOUND, "
                     "summary: \"废气治理设施未正常运行，已责令改正\", completedOn: \"2026-11-20\"}) { userErrors { code } } "
                     "}", "variables": {"t": tasks[0]["taskId"]}}).json()
        assert recorded["data"]["recordTaskResult"]["userErrors"] == []
        httpx.post(f"{base}/graphql", headers=headers, json={
            "query": "mutation($p: String!) { publishResults(input: {planId: $p}) { published } }",
            "variables": {"p": plan_id}})
        yield {"base": base, "plan_id": plan_id, "hidden_id": hidden_id, "first": tasks[0]["enterpriseName"],
               "shots": str(tmp_path_factory.mktemp("shots"))}
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_public_page_in_chromium(site: dict[str, str]) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync"])
        page = browser.new_page()
        page.goto(f"{site['base']}/public")
        assert "西安市2027年第一季度双随机抽查" in page.inner_text("#plans")
        assert "未冻结的草稿计划" not in page.content()  # drafts are not published
        page.click("text=西安市2027年第一季度双随机抽查")
        page.wait_for_selector("#objects")
        assert page.locator("#objects tr").count() > 5
        assert len(page.inner_text("#commitment").strip()) == 64
        assert "废气治理设施未正常运行" in page.inner_text("#results")
        page.screenshot(path=f"{site['shots']}/plan.png", full_page=True)
        csv_link = page.get_attribute("a[href$='objects.csv']", "href")
        download = page.request.get(f"{site['base']}{csv_link}")
        assert download.ok and download.text().lstrip("\ufeff").startswith("credit_code,enterprise_name")
        document = page.request.get(f"{site['base']}{page.get_attribute('#draw-document', 'href')}").json()
        assert document["format"] == "ecoinspect-draw/2" and document["public_value"] == "5 0 8 3 2"
        assert page.get_attribute("#commitment-document", "href") == f"/public/plans/{site['plan_id']}/commitment.json"
        page.goto(f"{site['base']}/public")
        page.fill("#q", site["first"])
        page.click("button[type=submit]")
        page.wait_for_selector("#hits")
        assert site["first"] in page.inner_text("#hits")
        page.click("text=如何核验")
        assert "ecoinspect verify-draw" in page.inner_text("#steps")
        browser.close()


def test_unpublished_plan_pages_are_not_found(site: dict[str, str]) -> None:
    assert httpx.get(f"{site['base']}/public/plans/{site['hidden_id']}").status_code == 404
    assert httpx.get(f"{site['base']}/public/plans/{site['plan_id']}/secrets.csv").status_code == 404
    results = httpx.get(f"{site['base']}/public/plans/{site['plan_id']}/results.json").json()
    assert results["results"][0]["outcome"] == "violation_found"
