"""Evidence uploads with tus clients nobody here wrote: tuspy against a running server, and tus-js-client (built
from npm by `make web`) in Chromium, resuming the way an app does after losing its connection or its memory."""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from live_server import live_server, live_settings, on_database
from playwright.sync_api import sync_playwright
from secantus import SecantusDBServer
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route
from tus_world import PASSWORD, World, make_world, register, video
from tusclient import client as tus
from tusclient.exceptions import TusCommunicationError

from core.config import Settings
from core.evidence.repository import CHUNK_SIZE
from core.fieldwork.chain import verify_task
from core.fieldwork.repository import FieldRepository

ROOT = Path(__file__).resolve().parents[2]
TUS_JS = ROOT / "web" / "node_modules" / "tus-js-client" / "dist" / "tus.min.js"
CHROMIUM = "/usr/bin/chromium"
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>tus</title>
<script src="/e2e/tus.min.js"></script></head><body>tus-js-client test page</body></html>"""


async def _page(_: Request) -> Response:
    return HTMLResponse(PAGE)


async def _script(_: Request) -> Response:
    assert TUS_JS.is_file(), f"{TUS_JS} is missing: `make web` runs npm ci in web/"
    return FileResponse(TUS_JS, media_type="text/javascript")


# Same origin as the API, so the browser needs no CORS for the test.
TEST_ROUTES = [Route("/e2e/tus.html", _page), Route("/e2e/tus.min.js", _script)]


class Site:
    def __init__(self, base: str, settings: Settings, world: World) -> None:
        self.base, self.settings, self.world = base, settings, world
        response = httpx.post(f"{base}/auth/token", data={"username": "inspector", "password": PASSWORD})
        assert response.status_code == 200, response.text
        self.token = str(response.json()["access_token"])

    def register(self, data: bytes) -> str:
        return on_database(self.settings, lambda database: register(database, self.settings, self.world, data))

    def evidence(self, evidence_id: str) -> dict[str, object]:
        doc = on_database(self.settings, lambda database: database["evidence"].find_one({"_id": evidence_id}))
        assert doc is not None
        return doc

    def content(self, evidence_id: str) -> bytes:
        response = httpx.get(f"{self.base}/evidence/{evidence_id}/content",
                             headers={"authorization": f"Bearer {self.token}"})
        assert response.status_code == 200, response.text
        return response.content

    def assert_completed_on_the_chain(self, evidence_id: str, data: bytes) -> None:
        doc = self.evidence(evidence_id)
        assert doc["status"] == "complete" and doc["file_id"] == hashlib.sha256(data).hexdigest()
        assert self.content(evidence_id) == data
        inspection = on_database(self.settings,
                                 lambda database: FieldRepository(database).inspection(self.world.inspection_id))
        assert inspection is not None and inspection["evidence"][evidence_id] == "complete"
        report = on_database(self.settings, lambda database: verify_task(database, self.world.task_id))
        assert report.problems == []


@pytest.fixture(scope="module")
def site(db_server: SecantusDBServer) -> Iterator[Site]:
    settings = live_settings(db_server, evidence_chunk_max_bytes=1024 * 1024)
    world = on_database(settings, lambda database: make_world(database, settings))
    with live_server(settings, TEST_ROUTES) as base:
        yield Site(base, settings, world)


def test_tuspy_uploads_with_sha1_checksums_and_resumes_from_its_url(site: Site) -> None:
    data = video(10 * CHUNK_SIZE + 4321)
    evidence_id = site.register(data)
    client = tus.TusClient(f"{site.base}/evidence/tus/", headers={"Authorization": f"Bearer {site.token}"})
    first = client.uploader(file_stream=io.BytesIO(data), chunk_size=2 * CHUNK_SIZE, upload_checksum=True,
                            metadata={"evidenceId": evidence_id, "filename": "outfall.mp4"})
    first.upload(stop_at=2 * CHUNK_SIZE)  # the app is killed after the first request
    assert first.url is not None and first.url.startswith(f"{site.base}/evidence/tus/")
    assert site.evidence(evidence_id)["received"] == 2 * CHUNK_SIZE

    # tuspy's default: the rest in one PATCH, here over the server's 1 MiB per-request limit
    again = client.uploader(file_stream=io.BytesIO(data), url=first.url)
    assert again.offset == 2 * CHUNK_SIZE  # asked the server (HEAD)
    again.upload()
    site.assert_completed_on_the_chain(evidence_id, data)


def test_tuspy_cannot_upload_what_was_not_registered(site: Site) -> None:
    client = tus.TusClient(f"{site.base}/evidence/tus/", headers={"Authorization": f"Bearer {site.token}"})
    uploader = client.uploader(file_stream=io.BytesIO(b"x" * 100), chunk_size=1024,
                               metadata={"evidenceId": "a3bb189e-8bf9-3888-9912-ace4e6543002"})
    with pytest.raises(TusCommunicationError) as refused:
        uploader.upload()
    assert refused.value.status_code == 404


UPLOAD_JS = """async ([endpoint, token, evidenceId, encoded, stopAt]) => {
  const bytes = Uint8Array.from(atob(encoded), c => c.charCodeAt(0));
  const file = new Blob([bytes], {type: "video/mp4"});
  const options = (resolve, reject, upload) => ({
    endpoint, headers: {Authorization: "Bearer " + token}, metadata: {evidenceId, filetype: "video/mp4"},
    chunkSize: 262144, retryDelays: [0, 200, 500],
    onError: reject,
    onSuccess: () => resolve({done: true, url: upload().url}),
    onChunkComplete: (chunk, sent) => { if (stopAt && sent >= stopAt) { upload().abort(); resolve({done: false, url: upload().url}); } },
  });
  return await new Promise((resolve, reject) => {
    let upload;
    upload = new tus.Upload(file, options(resolve, reject, () => upload));
    if (stopAt) { upload.start(); return; }
    upload.findPreviousUploads().then(previous => {
      if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
      upload.start();
    });
  });
}"""


def test_tus_js_client_in_chromium_resumes_after_a_reload(site: Site) -> None:
    data = video(6 * 262144 + 999, seed=7)
    evidence_id = site.register(data)
    encoded = base64.b64encode(data).decode()
    patches: list[int] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("request", lambda r: patches.append(int(r.headers["upload-offset"]))
                    if r.method == "PATCH" else None)
            page.goto(f"{site.base}/e2e/tus.html")
            endpoint = f"{site.base}/evidence/tus/"
            stopped = page.evaluate(UPLOAD_JS, [endpoint, site.token, evidence_id, encoded, 2 * 262144])
            assert stopped["done"] is False and stopped["url"].startswith(endpoint)
            stored = int(site.evidence(evidence_id)["received"])  # type: ignore[call-overload]
            assert stored >= 2 * 262144

            page.reload()  # the app starts again: tus-js-client finds the upload it stored and resumes it
            patches.clear()
            finished = page.evaluate(UPLOAD_JS, [endpoint, site.token, evidence_id, encoded, 0])
            assert finished == {"done": True, "url": stopped["url"]}
            assert patches[0] == stored and patches == sorted(patches)
        finally:
            browser.close()
    site.assert_completed_on_the_chain(evidence_id, data)


def test_tus_js_client_that_lost_its_upload_url_continues_from_the_stored_bytes(site: Site) -> None:
    data = video(5 * 262144 + 77, seed=8)
    evidence_id = site.register(data)
    encoded = base64.b64encode(data).decode()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(f"{site.base}/e2e/tus.html")
            endpoint = f"{site.base}/evidence/tus/"
            stopped = page.evaluate(UPLOAD_JS, [endpoint, site.token, evidence_id, encoded, 262144])
            stored = int(site.evidence(evidence_id)["received"])  # type: ignore[call-overload]
            assert stored >= 262144
            page.evaluate("localStorage.clear()")  # a new install: the upload URL is forgotten
            answers: list[tuple[str, int]] = []
            page.on("response", lambda r: answers.append((r.request.method, r.status)))
            finished = page.evaluate(UPLOAD_JS, [endpoint, site.token, evidence_id, encoded, 0])
            assert finished["done"] is True and finished["url"] != stopped["url"]
            # A new upload of stored bytes: its PATCH at 0 is refused (409), the client retries from HEAD.
            assert answers[:4] == [("POST", 201), ("PATCH", 409), ("HEAD", 200), ("PATCH", 204)]
        finally:
            browser.close()
    site.assert_completed_on_the_chain(evidence_id, data)
