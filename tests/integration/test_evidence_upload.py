"""Evidence upload over HTTP against the real wire-protocol database: ranges, resume, verification, access."""

from __future__ import annotations

import asyncio
import hashlib
import io
import math
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from gridfs import AsyncGridFSBucket
from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational
from starlette.applications import Starlette

from api.app import create_app
from api.http.evidence import EVIDENCE_ROUTES
from core.accounts.models import Role
from core.accounts.service import AccountService
from core.config import Settings
from core.db import Database
from core.evidence import repository
from core.evidence.chunks import COMMIT_CHUNKS
from core.evidence.models import Evidence
from core.evidence.repository import CHUNK_SIZE
from core.evidence.upload import EvidenceUploadService
from core.inspections.models import Task, TaskStatus
from core.inspections.repository import InspectionRepository

PASSWORD = "correct-horse-battery"
MiB = 1024 * 1024
ASSIGNED, OTHER = "SX-610100-0001", "SX-610100-0002"
TASK_ID = "task-evidence-1"
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"  # an MP4 file type box


@pytest.fixture
def settings() -> Settings:
    return Settings(secret_key="test-secret-" + "x" * 32, login_delay_max_seconds=0.01, log_json=False,
                    evidence_chunk_max_bytes=2 * MiB, evidence_max_photo_mb=2)


@pytest.fixture
async def world(database: Database, settings: Settings) -> None:
    """Users, and one task in Xi'an (610100) with one assigned inspector."""
    await database.ensure_schema(repository.COLLECTIONS)
    accounts = AccountService(database, settings)
    people = {"assigned": ([Role.INSPECTOR], ["610100"], ASSIGNED), "other": ([Role.INSPECTOR], ["610100"], OTHER),
              "xian_boss": ([Role.SUPERVISOR], ["610100"], None), "baoji_boss": ([Role.SUPERVISOR], ["610300"], None)}
    for name, (roles, jurisdictions, inspector_id) in people.items():
        await accounts.create_user(username=name, password=PASSWORD, roles=roles, jurisdictions=jurisdictions,
                                   inspector_id=inspector_id)
    task = Task(id=TASK_ID, plan_id=None, draw_id="alert:test", credit_code="91610100000000001X",
                enterprise_name="测试企业", jurisdiction="610100", stratum="general", inspectors=[ASSIGNED],
                lead=ASSIGNED, status=TaskStatus.IN_PROGRESS, created_at=datetime.now(UTC))
    await InspectionRepository(database).insert_targeted([task], session=None)


class Harness:
    def __init__(self, http: httpx.AsyncClient, app: Starlette, settings: Settings) -> None:
        self.http = http
        self.app = app
        self.settings = settings
        self.database: Database = app.state.database
        self.completed: list[Evidence] = []
        self.tokens: dict[str, str] = {}
        self.switch_replica()

    def switch_replica(self) -> None:
        """Serve the next requests from a fresh service, as another API process behind the balancer would."""

        async def on_complete(evidence: Evidence) -> None:
            self.completed.append(evidence)

        self.app.state.services.evidence_uploads = EvidenceUploadService(self.database, self.settings,
                                                                         on_complete=on_complete)

    async def token(self, user: str) -> str:
        if user not in self.tokens:
            response = await self.http.post("/auth/token", data={"username": user, "password": PASSWORD})
            assert response.status_code == 200, response.text
            self.tokens[user] = response.json()["access_token"]
        return self.tokens[user]

    async def register(self, data: bytes, *, kind: str = "photo", mime: str = "image/jpeg",
                       sha256: str | None = None, size: int | None = None) -> str:
        """What the sync code's register_evidence stores."""
        evidence_id = str(uuid.uuid4())
        now = datetime.now(UTC)
        await self.database["evidence"].insert_one({
            "_id": evidence_id, "task_id": TASK_ID, "inspection_id": "inspection-1", "kind": kind, "mime_type": mime,
            "size": len(data) if size is None else size, "sha256": sha256 or hashlib.sha256(data).hexdigest(),
            "file_name": "site.jpg", "captured_at": now, "place": {"lat": 34.2, "lon": 108.9, "accuracy_m": 5.0},
            "registered_by": "assigned", "registered_at": now, "status": "pending", "received": 0,
            "file_id": None, "metadata": {}, "completed_at": None})
        return evidence_id

    async def put(self, evidence_id: str, data: bytes, start: int, end: int, total: int, *,
                  user: str = "assigned", content: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
        sent = {"authorization": f"Bearer {await self.token(user)}",
                "content-range": f"bytes {start}-{end}/{total}", **(headers or {})}
        return await self.http.put(f"/evidence/{evidence_id}", headers=sent,
                                   content=data[start:end + 1] if content is None else content)

    async def upload(self, evidence_id: str, data: bytes, cuts: list[int], user: str = "assigned") -> httpx.Response:
        bounds = [0, *cuts, len(data)]
        response = None
        for start, stop in zip(bounds, bounds[1:], strict=False):
            response = await self.put(evidence_id, data, start, stop - 1, len(data), user=user)
            assert response.status_code == 200, response.text
        assert response is not None
        return response

    async def head(self, evidence_id: str, user: str = "assigned") -> httpx.Response:
        return await self.http.head(f"/evidence/{evidence_id}",
                                    headers={"authorization": f"Bearer {await self.token(user)}"})

    async def get(self, path: str, user: str = "assigned") -> httpx.Response:
        return await self.http.get(path, headers={"authorization": f"Bearer {await self.token(user)}"})

    async def chunk_count(self, files_id: str) -> int:
        return int(await self.database[repository.CHUNKS].count_documents({"files_id": files_id}))


def with_evidence_routes(asgi: Any) -> Starlette:
    """The Starlette app inside the middleware, with the evidence routes (until api/app.py lists them)."""
    inner: Starlette = asgi.app
    if not any(getattr(route, "path", "") == "/evidence/{evidence_id}" for route in inner.router.routes):
        inner.router.routes.extend(EVIDENCE_ROUTES)
    return inner


@pytest.fixture
async def harness(database: Database, settings: Settings, world: None) -> AsyncIterator[Harness]:
    asgi = create_app(settings, database=database)
    inner = with_evidence_routes(asgi)
    async with LifespanManager(asgi, startup_timeout=60, shutdown_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield Harness(http, inner, settings)


def photo(pixels: int = 1200) -> bytes:
    """A noisy JPEG (~1.7 MB at 1200 × 1200) with EXIF time and a GPS fix in Xi'an."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Huawei"
    exif.get_ifd(ExifTags.IFD.Exif).update({ExifTags.Base.DateTimeOriginal: "2024:05:06 07:08:09",
                                            ExifTags.Base.OffsetTimeOriginal: "+08:00"})
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({
        ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (IFDRational(34), IFDRational(15), IFDRational(0)),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (IFDRational(108), IFDRational(54), IFDRational(0))})
    image = Image.frombytes("RGB", (pixels, pixels), os.urandom(pixels * pixels * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, exif=exif)
    return out.getvalue()


@pytest.fixture(scope="module")
def jpeg() -> bytes:
    return photo()


async def pieces(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


def chunks_of(data: bytes) -> Iterator[int]:
    yield from range(math.ceil(len(data) / CHUNK_SIZE))


# ------------------------------------------------------------------------------------------ the happy path


async def test_ranges_resume_at_the_offset_and_complete_with_metadata(harness: Harness, jpeg: bytes) -> None:
    evidence_id = await harness.register(jpeg)
    first = await harness.put(evidence_id, jpeg, 0, 99_999, len(jpeg))
    assert first.status_code == 200 and first.json()["status"] == "pending"
    head = await harness.head(evidence_id)
    assert head.status_code == 200
    assert (head.headers["upload-offset"], head.headers["upload-length"]) == ("100000", str(len(jpeg)))
    assert head.headers["range"] == "bytes=0-99999" and head.headers["upload-status"] == "pending"

    second = await harness.put(evidence_id, jpeg, 100_000, 1_099_999, len(jpeg))
    assert second.headers["upload-offset"] == "1100000"
    done = await harness.put(evidence_id, jpeg, 1_100_000, len(jpeg) - 1, len(jpeg))
    assert done.status_code == 200, done.text
    sha = hashlib.sha256(jpeg).hexdigest()
    body = done.json()
    assert (body["status"], body["file_id"], body["offset"]) == ("complete", sha, len(jpeg))
    exif = body["metadata"]["exif"]
    assert exif["latitude"] == pytest.approx(34.25) and exif["longitude"] == pytest.approx(108.9)
    assert exif["taken_at"] == "2024-05-05T23:08:09Z" and exif["taken_at_local"] == "2024-05-06T07:08:09"
    assert body["metadata"]["sniffed_mime"] == "image/jpeg"
    assert [e.id for e in harness.completed] == [evidence_id] and harness.completed[0].file_id == sha

    stream = await AsyncGridFSBucket(harness.database.db).open_download_stream(sha)
    assert await stream.read() == jpeg  # any GridFS reader sees the file under its SHA-256
    content = await harness.get(f"/evidence/{evidence_id}/content")
    assert content.status_code == 200 and content.content == jpeg
    assert content.headers["content-type"] == "image/jpeg" and content.headers["etag"] == f'"{sha}"'
    assert await harness.chunk_count(f"upload:{evidence_id}") == 0
    assert await harness.database["evidence_uploads"].count_documents({}) == 0


async def test_ranges_through_different_processes_are_verified_from_the_stored_chunks(
        harness: Harness, jpeg: bytes) -> None:
    evidence_id = await harness.register(jpeg)
    await harness.put(evidence_id, jpeg, 0, 899_999, len(jpeg))
    harness.switch_replica()  # this process never saw the first range: it must read the chunks back
    done = await harness.put(evidence_id, jpeg, 900_000, len(jpeg) - 1, len(jpeg))
    assert done.json()["file_id"] == hashlib.sha256(jpeg).hexdigest()
    assert done.json()["metadata"]["exif"]["has_gps"] is True


async def test_a_stored_chunk_lost_before_verification_is_a_hash_mismatch(harness: Harness, jpeg: bytes) -> None:
    evidence_id = await harness.register(jpeg)
    await harness.put(evidence_id, jpeg, 0, 1_099_999, len(jpeg))
    await harness.database[repository.CHUNKS].delete_one({"files_id": f"upload:{evidence_id}", "n": 2})
    harness.switch_replica()
    refused = await harness.put(evidence_id, jpeg, 1_100_000, len(jpeg) - 1, len(jpeg))
    assert refused.status_code == 422 and refused.json()["code"] == "HASH_MISMATCH"
    assert "missing or misshapen" in refused.json()["message"]
    assert await harness.chunk_count(f"upload:{evidence_id}") == 0
    again = await harness.upload(evidence_id, jpeg, [800_000])  # the device starts over and succeeds
    assert again.json()["status"] == "complete"


async def test_an_upload_whose_finish_crashed_half_way_is_finished_later(
        harness: Harness, jpeg: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    sha = hashlib.sha256(jpeg).hexdigest()
    first, second = await harness.register(jpeg), await harness.register(jpeg)

    async def crash(*_: Any, **__: Any) -> None:
        raise RuntimeError("the process died while storing")

    with monkeypatch.context() as patch:
        patch.setattr(repository.EvidenceRepository, "store_content", crash)
        with pytest.raises(RuntimeError):
            await harness.put(first, jpeg, 0, len(jpeg) - 1, len(jpeg))
    # As if the crash came after moving three chunks of `first` under the content hash.
    await harness.database[repository.CHUNKS].update_many({"files_id": f"upload:{first}", "n": {"$lt": 3}},
                                                          {"$set": {"files_id": sha}})
    head = await harness.head(first)
    assert (head.headers["upload-offset"], head.headers["upload-status"]) == (str(len(jpeg)), "pending")

    # Meanwhile the same content arrives through another evidence; its chunks 0-2 are already in place.
    assert (await harness.upload(second, jpeg, [600_000])).json()["file_id"] == sha
    finish = await harness.http.put(f"/evidence/{first}", headers={
        "authorization": f"Bearer {await harness.token('assigned')}", "content-range": f"bytes */{len(jpeg)}"})
    assert finish.status_code == 200 and finish.json()["status"] == "complete", finish.text
    assert finish.json()["file_id"] == sha
    stream = await AsyncGridFSBucket(harness.database.db).open_download_stream(sha)
    assert hashlib.sha256(await stream.read()).hexdigest() == sha
    assert await harness.chunk_count(sha) == len(list(chunks_of(jpeg)))
    assert await harness.chunk_count(f"upload:{first}") == await harness.chunk_count(f"upload:{second}") == 0
    assert sorted(e.id for e in harness.completed) == sorted([first, second])


async def test_identical_content_is_stored_once(harness: Harness, jpeg: bytes) -> None:
    sha = hashlib.sha256(jpeg).hexdigest()
    first, second = await harness.register(jpeg), await harness.register(jpeg)
    await harness.upload(first, jpeg, [])
    response = await harness.upload(second, jpeg, [777_777])
    assert response.json()["file_id"] == sha
    assert await harness.database[repository.FILES].count_documents({}) == 1
    assert await harness.chunk_count(sha) == len(list(chunks_of(jpeg)))
    assert await harness.chunk_count(f"upload:{second}") == 0
    assert [e.id for e in harness.completed] == [first, second]


async def test_a_repeated_last_range_or_finish_reports_complete(harness: Harness, jpeg: bytes) -> None:
    evidence_id = await harness.register(jpeg)
    assert len(jpeg) > harness.settings.max_body_bytes  # evidence ranges are not held to the GraphQL body limit
    await harness.upload(evidence_id, jpeg, [])
    again = await harness.put(evidence_id, jpeg, 0, len(jpeg) - 1, len(jpeg))
    assert again.status_code == 409 and again.json()["code"] == "UPLOAD_COMPLETE"
    assert again.headers["upload-offset"] == str(len(jpeg))
    finish = await harness.http.put(f"/evidence/{evidence_id}", headers={
        "authorization": f"Bearer {await harness.token('assigned')}", "content-range": f"bytes */{len(jpeg)}"})
    assert finish.status_code == 409 and finish.json()["code"] == "UPLOAD_COMPLETE"
    assert len(harness.completed) == 1


# ------------------------------------------------------------------------------------------ refusals


async def test_hash_mismatch_is_refused_and_the_upload_starts_over(harness: Harness, jpeg: bytes) -> None:
    evidence_id = await harness.register(jpeg, sha256=hashlib.sha256(b"something else").hexdigest())
    await harness.put(evidence_id, jpeg, 0, 1_199_999, len(jpeg))
    refused = await harness.put(evidence_id, jpeg, 1_200_000, len(jpeg) - 1, len(jpeg))
    assert refused.status_code == 422
    assert refused.json()["code"] == "HASH_MISMATCH" and refused.json()["offset"] == 0
    assert (await harness.head(evidence_id)).headers["upload-offset"] == "0"
    assert await harness.chunk_count(f"upload:{evidence_id}") == 0
    assert await harness.chunk_count(hashlib.sha256(jpeg).hexdigest()) == 0
    assert await harness.database[repository.FILES].count_documents({}) == 0
    status = (await harness.get(f"/evidence/{evidence_id}")).json()
    assert status["status"] == "pending" and status["file_id"] is None
    assert harness.completed == []


async def test_unassigned_inspector_can_neither_write_nor_read(harness: Harness, jpeg: bytes) -> None:
    evidence_id = await harness.register(jpeg)
    write = await harness.put(evidence_id, jpeg, 0, 99_999, len(jpeg), user="other")
    assert write.status_code == 404 and write.json()["code"] == "NOT_FOUND"
    assert TASK_ID not in write.text
    assert (await harness.head(evidence_id)).headers["upload-offset"] == "0"  # nothing was stored
    assert await harness.chunk_count(f"upload:{evidence_id}") == 0
    await harness.upload(evidence_id, jpeg, [])

    unknown = await harness.get(f"/evidence/{uuid.uuid4()}/content", user="other")
    for path in (f"/evidence/{evidence_id}", f"/evidence/{evidence_id}/content"):
        for user in ("other", "baoji_boss"):
            response = await harness.get(path, user=user)
            assert response.status_code == 404, (path, user)
            assert response.json()["code"] == unknown.json()["code"] == "NOT_FOUND"
    assert (await harness.head(evidence_id, user="other")).status_code == 404
    supervisor = await harness.get(f"/evidence/{evidence_id}/content", user="xian_boss")
    assert supervisor.status_code == 200 and supervisor.content == jpeg
    boss_write = await harness.put(evidence_id, jpeg, 0, 9, len(jpeg), user="xian_boss")
    assert boss_write.status_code == 404  # supervisors read, only the task's inspectors write


async def test_without_a_token_the_answer_is_401(harness: Harness, jpeg: bytes) -> None:
    evidence_id = await harness.register(jpeg)
    response = await harness.http.put(f"/evidence/{evidence_id}", content=jpeg[:10],
                                      headers={"content-range": f"bytes 0-9/{len(jpeg)}"})
    assert response.status_code == 401 and response.json()["code"] == "UNAUTHENTICATED"
    assert response.headers["www-authenticate"] == "Bearer"
    bad = await harness.http.get(f"/evidence/{evidence_id}", headers={"authorization": "Bearer nonsense"})
    assert bad.status_code == 401 and bad.json()["code"] == "INVALID_TOKEN"


async def test_overlapping_and_gapped_ranges_are_refused_with_the_offset(harness: Harness, jpeg: bytes) -> None:
    evidence_id = await harness.register(jpeg)
    await harness.put(evidence_id, jpeg, 0, 299_999, len(jpeg))
    for start in (200_000, 300_001, 0):
        response = await harness.put(evidence_id, jpeg, start, start + 99_999, len(jpeg))
        assert response.status_code == 409
        assert response.json()["code"] == "OFFSET_MISMATCH" and response.json()["offset"] == 300_000
        assert response.headers["upload-offset"] == "300000"
    assert await harness.chunk_count(f"upload:{evidence_id}") == 1  # one whole chunk, the rest is the tail


async def test_truncated_body_keeps_only_committed_whole_chunks_and_resumes(harness: Harness) -> None:
    video = MP4_HEAD + os.urandom(3 * MiB - len(MP4_HEAD))
    evidence_id = await harness.register(video, kind="video", mime="video/mp4")
    batch = COMMIT_CHUNKS * CHUNK_SIZE
    cut = batch + 1000  # the client promised 0..2 MiB - 1 and hung up after one batch and a bit
    response = await harness.put(evidence_id, video, 0, 2 * MiB - 1, len(video), content=pieces(video[:cut]))
    assert response.status_code == 400 and response.json()["code"] == "TRUNCATED_CHUNK"
    assert response.json()["offset"] == batch  # the whole batch that had arrived is kept, the rest is not
    assert (await harness.head(evidence_id)).headers["upload-offset"] == str(batch)
    assert await harness.chunk_count(f"upload:{evidence_id}") == COMMIT_CHUNKS
    done = await harness.put(evidence_id, video, batch, 2 * MiB - 1, len(video))
    assert done.status_code == 200 and done.json()["offset"] == 2 * MiB
    last = await harness.put(evidence_id, video, 2 * MiB, len(video) - 1, len(video))
    assert last.json()["file_id"] == hashlib.sha256(video).hexdigest()


async def test_two_requests_sending_the_same_range_at_once_store_it_once(harness: Harness) -> None:
    video = MP4_HEAD + os.urandom(3 * MiB - len(MP4_HEAD))
    evidence_id = await harness.register(video, kind="video", mime="video/mp4")

    async def slow(data: bytes) -> AsyncIterator[bytes]:
        async for piece in pieces(data):
            await asyncio.sleep(0)
            yield piece

    first, second = await asyncio.gather(*(harness.put(evidence_id, video, 0, 2 * MiB - 1, len(video),
                                                       content=slow(video[:2 * MiB])) for _ in range(2)))
    assert sorted([first.status_code, second.status_code]) == [200, 409], (first.text, second.text)
    loser = first if first.status_code == 409 else second
    assert loser.json()["code"] == "OFFSET_MISMATCH"
    assert (await harness.head(evidence_id)).headers["upload-offset"] == str(2 * MiB)
    done = await harness.put(evidence_id, video, 2 * MiB, len(video) - 1, len(video))
    assert done.json()["file_id"] == hashlib.sha256(video).hexdigest()


async def test_body_longer_than_its_range_is_refused(harness: Harness, jpeg: bytes) -> None:
    evidence_id = await harness.register(jpeg)
    declared = await harness.put(evidence_id, jpeg, 0, 99, len(jpeg), content=jpeg[:150])
    assert declared.status_code == 400 and declared.json()["code"] == "CHUNK_OVERRUN"
    streamed = await harness.put(evidence_id, jpeg, 0, 99_999, len(jpeg), content=pieces(jpeg[:150_000]))
    assert streamed.status_code == 400 and streamed.json()["code"] == "CHUNK_OVERRUN"
    short = await harness.put(evidence_id, jpeg, 0, 99, len(jpeg), content=jpeg[:50])
    assert short.status_code == 400 and short.json()["code"] == "TRUNCATED_CHUNK"
    assert (await harness.head(evidence_id)).headers["upload-offset"] == "0"


async def test_bytes_that_are_not_the_declared_type_are_refused_and_not_stored(harness: Harness) -> None:
    pdf = b"%PDF-1.7\n" + os.urandom(300_000)
    evidence_id = await harness.register(pdf, kind="photo", mime="image/jpeg")
    response = await harness.put(evidence_id, pdf, 0, len(pdf) - 1, len(pdf))
    assert response.status_code == 415 and response.json()["code"] == "MIME_MISMATCH"
    assert "application/pdf" in response.json()["message"]
    assert (await harness.head(evidence_id)).headers["upload-offset"] == "0"
    assert await harness.chunk_count(f"upload:{evidence_id}") == 0


async def test_a_tiny_first_range_is_sniffed_with_the_next_and_dropped(harness: Harness) -> None:
    fake = b"\x00" * 200_000
    evidence_id = await harness.register(fake, kind="photo", mime="image/jpeg")
    assert (await harness.put(evidence_id, fake, 0, 9, len(fake))).status_code == 200  # too short to tell
    response = await harness.put(evidence_id, fake, 10, 99_999, len(fake))
    assert response.status_code == 415 and response.json()["offset"] == 0
    assert (await harness.head(evidence_id)).headers["upload-offset"] == "0"


async def test_size_and_range_limits(harness: Harness, jpeg: bytes) -> None:
    big = await harness.register(jpeg, size=3 * MiB)  # over the 2 MB photo limit of these settings
    too_big = await harness.put(big, jpeg, 0, 9, 3 * MiB)
    assert too_big.status_code == 413 and too_big.json()["code"] == "FILE_TOO_LARGE"

    video = await harness.register(jpeg, kind="video", mime="video/mp4", size=3 * MiB)
    chunk = await harness.put(video, jpeg * 2, 0, 2 * MiB, 3 * MiB)  # one byte over the 2 MiB chunk limit
    assert chunk.status_code == 413 and chunk.json()["code"] == "CHUNK_TOO_LARGE"

    evidence_id = await harness.register(jpeg)
    total = await harness.put(evidence_id, jpeg, 0, 9, len(jpeg) + 1)
    assert total.status_code == 416 and total.json()["code"] == "SIZE_MISMATCH"
    for header in ("bytes 10-5/" + str(len(jpeg)), "bytes=0-9", f"bytes 0-{len(jpeg)}/{len(jpeg)}"):
        bad = await harness.put(evidence_id, jpeg, 0, 9, len(jpeg), headers={"content-range": header})
        assert bad.status_code == 416 and bad.json()["code"] == "INVALID_RANGE", header
    assert (await harness.head(evidence_id)).headers["upload-offset"] == "0"


async def test_unknown_evidence_is_404(harness: Harness) -> None:
    response = await harness.get(f"/evidence/{uuid.uuid4()}")
    assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND"


async def test_content_before_completion_is_409(harness: Harness, jpeg: bytes) -> None:
    evidence_id = await harness.register(jpeg)
    await harness.put(evidence_id, jpeg, 0, 999, len(jpeg))
    response = await harness.get(f"/evidence/{evidence_id}/content")
    assert response.status_code == 409 and response.json()["code"] == "NOT_COMPLETE"
    assert response.json()["offset"] == 1000
