"""tus 1.0 evidence uploads over HTTP against the real wire-protocol database: every protocol rule, refusal and
the completion through the registered SHA-256 and the task's chain (real clients: tests/e2e/test_tus_clients.py)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
import pytest
from asgi_lifespan import LifespanManager
from tus_world import PASSWORD, World, make_world, register, video

from api.app import create_app
from core.config import Settings
from core.db import Database
from core.evidence.repository import CHUNK_SIZE
from core.fieldwork.chain import verify_task
from core.fieldwork.repository import FieldRepository

MiB = 1024 * 1024
TUS = {"tus-resumable": "1.0.0"}
OCTETS = {"content-type": "application/offset+octet-stream"}


class Client:
    def __init__(self, http: httpx.AsyncClient, database: Database, settings: Settings, world: World) -> None:
        self.http, self.database, self.settings, self.world = http, database, settings, world
        self.tokens: dict[str, str] = {}

    async def auth(self, user: str = "inspector") -> dict[str, str]:
        if user not in self.tokens:
            response = await self.http.post("/auth/token", data={"username": user, "password": PASSWORD})
            assert response.status_code == 200, response.text
            self.tokens[user] = response.json()["access_token"]
        return {"authorization": f"Bearer {self.tokens[user]}", **TUS}

    async def register(self, data: bytes) -> str:
        return await register(self.database, self.settings, self.world, data)

    async def create(self, evidence_id: str, length: int, user: str = "inspector",
                     extra: dict[str, str] | None = None) -> httpx.Response:
        metadata = f"evidenceId {base64.b64encode(evidence_id.encode()).decode()},filename b3V0ZmFsbC5tcDQ="
        headers = {**await self.auth(user), "upload-length": str(length), "upload-metadata": metadata, **(extra or {})}
        return await self.http.post("/evidence/tus/", headers=headers)

    async def created(self, data: bytes) -> tuple[str, str]:
        """A registered evidence and a new upload of it: (evidence id, upload path)."""
        evidence_id = await self.register(data)
        response = await self.create(evidence_id, len(data))
        assert response.status_code == 201, response.text
        return evidence_id, response.headers["location"]

    async def patch(self, url: str, data: bytes, offset: int, *, checksum: str | None = None,
                    user: str = "inspector", extra: dict[str, str] | None = None) -> httpx.Response:
        headers = {**await self.auth(user), **OCTETS, "upload-offset": str(offset), **(extra or {})}
        if checksum:
            headers["upload-checksum"] = checksum
        return await self.http.patch(url, headers=headers, content=data)

    async def offset(self, url: str) -> int:
        response = await self.http.head(url, headers=await self.auth())
        assert response.status_code == 200, response.text
        return int(response.headers["upload-offset"])


def sha256_of(data: bytes) -> str:
    return "sha256 " + base64.b64encode(hashlib.sha256(data).digest()).decode()


@pytest.fixture
def settings() -> Settings:
    return Settings(secret_key="test-secret-" + "x" * 32, login_delay_max_seconds=0.01, log_json=False,
                    password_hash_profile="fast", evidence_chunk_max_bytes=2 * MiB)


@pytest.fixture
async def client(database: Database, settings: Settings) -> AsyncIterator[Client]:
    world = await make_world(database, settings)
    asgi = create_app(settings, database=database)
    async with LifespanManager(asgi, startup_timeout=60, shutdown_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield Client(http, database, settings, world)


async def test_discovery_names_version_extensions_checksums_and_the_largest_file(client: Client) -> None:
    response = await client.http.options("/evidence/tus/")
    assert response.status_code == 204
    assert response.headers["tus-version"] == "1.0.0"
    assert set(response.headers["tus-extension"].split(",")) == {"creation", "checksum", "termination", "expiration"}
    assert response.headers["tus-checksum-algorithm"].split(",") == ["sha256", "sha1"]
    assert int(response.headers["tus-max-size"]) == client.settings.evidence_max_video_mb * MiB


async def test_an_upload_in_checked_pieces_completes_the_registered_evidence_on_the_task_chain(client: Client) -> None:
    data = video(3 * CHUNK_SIZE + 1234)
    evidence_id, url = await client.created(data)
    created = await client.http.head(url, headers=await client.auth())
    assert created.headers["upload-length"] == str(len(data)) and created.headers["upload-offset"] == "0"
    assert created.headers["cache-control"] == "no-store" and created.headers["tus-resumable"] == "1.0.0"
    assert parsedate_to_datetime(created.headers["upload-expires"]) > datetime.now(UTC)

    cut = CHUNK_SIZE + 17
    first = await client.patch(url, data[:cut], 0, checksum=sha256_of(data[:cut]))
    assert first.status_code == 204, first.text
    assert first.headers["upload-offset"] == str(cut) and "upload-expires" in first.headers
    sha1 = "sha1 " + base64.b64encode(hashlib.sha1(data[cut:]).digest()).decode()
    last = await client.patch(url, data[cut:], cut, checksum=sha1)
    assert last.status_code == 204, last.text
    assert last.headers["upload-offset"] == str(len(data)) and "upload-expires" not in last.headers

    content = await client.http.get(f"/evidence/{evidence_id}/content", headers=await client.auth())
    assert content.content == data and content.headers["etag"] == f'"{hashlib.sha256(data).hexdigest()}"'
    inspection = await FieldRepository(client.database).inspection(client.world.inspection_id)
    assert inspection is not None and inspection["evidence"] == {evidence_id: "complete"}
    report = await verify_task(client.database, client.world.task_id)
    assert report.problems == [] and report.entries == 2


async def test_a_body_that_fails_its_checksum_stores_nothing_and_answers_460(client: Client) -> None:
    data = video(CHUNK_SIZE + 500)
    _, url = await client.created(data)
    corrupted = data[:1000] + b"\xff" + data[1001:]
    refused = await client.patch(url, corrupted, 0, checksum=sha256_of(data))
    assert refused.status_code == 460 and refused.json()["code"] == "CHECKSUM_MISMATCH"
    assert await client.offset(url) == 0
    assert (await client.patch(url, data, 0, checksum=sha256_of(data))).status_code == 204
    assert await client.offset(url) == len(data)


async def test_protocol_refusals(client: Client) -> None:
    data = video(4096)
    evidence_id, url = await client.created(data)
    auth = await client.auth()
    no_version = await client.http.head(url, headers={"authorization": auth["authorization"]})
    assert no_version.status_code == 412 and no_version.headers["tus-version"] == "1.0.0"
    wrong_type = await client.patch(url, data, 0, extra={"content-type": "application/octet-stream"})
    assert wrong_type.status_code == 415 and wrong_type.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"
    md5 = await client.patch(url, data, 0, checksum="md5 " + base64.b64encode(b"x" * 16).decode())
    assert md5.status_code == 400 and md5.json()["code"] == "CHECKSUM_UNSUPPORTED"
    assert (await client.patch(url, data[:100], 0)).status_code == 204
    gap = await client.patch(url, data[200:], 200)
    assert gap.status_code == 409 and gap.headers["upload-offset"] == "100"
    overrun = await client.patch(url, data[100:] + b"more", 100)
    assert overrun.status_code == 413 and await client.offset(url) == 100
    assert (await client.http.head(url, headers=TUS)).status_code == 401
    assert (await client.http.head(url, headers=await client.auth("other"))).status_code == 404
    stranger = await client.patch(url, data[100:], 100, user="other")
    assert stranger.status_code == 404 and stranger.json()["code"] == "NOT_FOUND"
    assert (await client.http.head("/evidence/tus/0123456789abcdef", headers=auth)).status_code == 404
    assert (await client.patch(url, data[100:], 100)).status_code == 204
    assert (await client.create(evidence_id, len(data))).status_code == 409  # complete: nothing left to upload


async def test_creation_refusals(client: Client) -> None:
    data = video(4096)
    evidence_id = await client.register(data)
    assert (await client.create(evidence_id, len(data), user="other")).status_code == 404
    assert (await client.create("e3b0c442-98fc-1c14-9afb-f4c8996fb924", len(data))).status_code == 404
    wrong_length = await client.create(evidence_id, len(data) + 1)
    assert wrong_length.status_code == 400 and wrong_length.json()["code"] == "SIZE_MISMATCH"
    deferred = await client.create(evidence_id, len(data), extra={"upload-defer-length": "1"})
    assert deferred.status_code == 400 and deferred.json()["code"] == "MALFORMED_TUS_REQUEST"
    headers = {**await client.auth(), "upload-length": str(len(data)), "upload-metadata": "filename b3V0"}
    unnamed = await client.http.post("/evidence/tus/", headers=headers)
    assert unnamed.status_code == 400 and "evidenceId" in unnamed.json()["message"]
    not_base64 = await client.http.post("/evidence/tus/", headers={**headers, "upload-metadata": "evidenceId !!"})
    assert not_base64.status_code == 400
    assert await client.database["evidence_tus_uploads"].count_documents({}) == 0


async def test_termination_discards_the_bytes_and_keeps_the_registration(client: Client) -> None:
    data = video(CHUNK_SIZE * 2)
    evidence_id, url = await client.created(data)
    assert (await client.patch(url, data[:CHUNK_SIZE + 10], 0)).status_code == 204
    assert (await client.http.delete(url, headers=await client.auth("other"))).status_code == 404
    assert (await client.http.delete(url, headers=await client.auth())).status_code == 204
    assert (await client.http.head(url, headers=await client.auth())).status_code == 404
    evidence = await client.database["evidence"].find_one({"_id": evidence_id})
    assert evidence is not None and evidence["status"] == "pending" and evidence["received"] == 0
    assert await client.database["fs.chunks"].count_documents({"files_id": f"upload:{evidence_id}"}) == 0
    again = await client.create(evidence_id, len(data))
    assert again.status_code == 201
    assert (await client.patch(again.headers["location"], data, 0)).status_code == 204
    done = await client.http.delete(again.headers["location"], headers=await client.auth())
    assert done.status_code == 409 and done.json()["code"] == "UPLOAD_COMPLETE"


async def test_an_expired_upload_is_gone_and_a_new_one_resumes_from_the_stored_bytes(client: Client) -> None:
    data = video(CHUNK_SIZE * 2)
    evidence_id, url = await client.created(data)
    assert (await client.patch(url, data[:CHUNK_SIZE], 0)).status_code == 204
    upload_id = url.rsplit("/", 1)[1]
    await client.database["evidence_tus_uploads"].update_one(
        {"_id": upload_id}, {"$set": {"expires_at": datetime.now(UTC) - timedelta(seconds=1)}})
    assert (await client.http.head(url, headers=await client.auth())).status_code == 410
    assert (await client.http.head(url, headers=await client.auth("other"))).status_code == 404  # tells nothing
    gone = await client.patch(url, data[CHUNK_SIZE:], CHUNK_SIZE)
    assert gone.status_code == 410 and gone.json()["code"] == "UPLOAD_EXPIRED"
    fresh = (await client.create(evidence_id, len(data))).headers["location"]
    assert fresh != url and await client.offset(fresh) == CHUNK_SIZE
    assert (await client.patch(fresh, data[CHUNK_SIZE:], CHUNK_SIZE)).status_code == 204
    assert (await client.database["evidence"].find_one({"_id": evidence_id}) or {})["status"] == "complete"


async def test_bytes_that_are_not_the_registered_file_are_refused_at_the_end_and_dropped(client: Client) -> None:
    data = video(CHUNK_SIZE + 10)
    _, url = await client.created(data)
    other = video(len(data), seed=2)
    refused = await client.patch(url, other, 0)
    assert refused.status_code == 422 and refused.json()["code"] == "HASH_MISMATCH"
    assert await client.offset(url) == 0


async def test_a_patch_longer_than_one_requests_limit_is_stored_in_ranges(client: Client) -> None:
    data = video(5 * MiB + 3)  # one PATCH with the whole file, as tus clients send by default; the limit is 2 MiB
    evidence_id, url = await client.created(data)
    checked = await client.patch(url, data, 0, checksum=sha256_of(data))
    assert checked.status_code == 413 and checked.json()["code"] == "CHUNK_TOO_LARGE"  # read whole: bounded
    assert await client.offset(url) == 0
    whole = await client.patch(url, data, 0)
    assert whole.status_code == 204 and whole.headers["upload-offset"] == str(len(data))
    content = await client.http.get(f"/evidence/{evidence_id}/content", headers=await client.auth())
    assert content.content == data
