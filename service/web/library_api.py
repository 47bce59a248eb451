"""The library's JSON API: list, upload and delete documents; readers' feedback."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from index import document_id

from ..library.uploads import UPLOAD_FOLDER, Rejected, check_upload
from .api import State, rate_limit
from .auth import require_admin

router = APIRouter(tags=["library"])


class LibraryDocument(BaseModel):
    """A document of the library and where it stands."""

    id: str
    title: str
    filename: str
    pages: int
    passages: int
    status: Literal["indexed", "pending", "failed"]
    error: str | None = None
    added_at: str | None = None


class UploadResult(BaseModel):
    """What an upload accepted (to be indexed in the background) and what it refused, and why."""

    accepted: list[dict[str, str]]
    rejected: list[dict[str, str]]


class FeedbackRequest(BaseModel):
    """A reader's rating of an answer."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(..., min_length=1, max_length=4000)
    answer: str = Field(..., max_length=8000)
    rating: Literal["up", "down"]
    note: str = Field("", max_length=2000)
    citations: list[dict[str, Any]] = Field(default_factory=list, max_length=20)


class IndexStatus(BaseModel):
    """The version this replica serves, the versions any replica served, the build queue."""

    serving: str
    versions: list[dict[str, Any]]
    builds: list[dict[str, Any]]
    open_builds: int


Admin = Depends(require_admin)


@router.get("/api/documents", response_model=list[LibraryDocument])
async def list_documents(state: State) -> list[LibraryDocument]:
    """Everything the library holds: indexed documents and uploads pending or failed."""
    index = state.holder.current()
    passages = Counter(p.document_id for p in index.passages)
    uploads = {u.id: u for u in state.library.uploads()}
    listed = []
    for document in index.documents.values():
        upload = uploads.pop(document.id, None)
        status = upload.status if upload and upload.status == "pending" else "indexed"
        listed.append(
            LibraryDocument(
                id=document.id,
                title=document.title,
                filename=upload.filename if upload else Path(document.path).name,
                pages=len(document.page_starts),
                passages=passages[document.id],
                status=status,
                added_at=upload.added_at.isoformat() if upload else None,
            )
        )
    for upload in uploads.values():
        listed.append(
            LibraryDocument(
                id=upload.id,
                title=upload.filename,
                filename=upload.filename,
                pages=0,
                passages=0,
                status="failed" if upload.status == "failed" else "pending",
                error=upload.error,
                added_at=upload.added_at.isoformat(),
            )
        )
    return listed


@router.post(
    "/api/documents",
    status_code=202,
    response_model=UploadResult,
    dependencies=[Admin, Depends(rate_limit)],
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "file": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                            }
                        },
                        "required": ["file"],
                    }
                }
            }
        }
    },
)
async def upload_documents(request: Request, state: State) -> JSONResponse:
    """Add one or more files (multipart field ``file``); they are indexed in the background."""
    try:
        form = await request.form(max_files=50)
    except (MultiPartException, ValueError, AssertionError) as exc:
        raise HTTPException(
            400, f"the upload could not be read as multipart form data: {exc}"
        ) from None
    files = [f for f in form.getlist("file") if isinstance(f, UploadFile)]
    if not files:
        raise HTTPException(422, "send one or more files in the multipart field 'file'")
    accepted, rejected = [], []
    for upload in files:
        data = await upload.read()
        try:
            accepted.append(await asyncio.to_thread(_store, state, upload.filename or "", data))
        except Rejected as reason:
            rejected.append({"filename": upload.filename or "", "reason": str(reason)})
    if accepted:
        state.jobs.request()
    return JSONResponse({"accepted": accepted, "rejected": rejected}, status_code=202)


def _store(state: Any, filename: str, data: bytes) -> dict[str, str]:
    """Check a file and put it in the corpus's upload folder (written whole, then renamed)."""
    checked = check_upload(filename, data, state.settings.max_upload_bytes)
    index = state.holder.current()
    twin = state.library.by_digest(checked.digest) or next(
        (d for d in index.documents.values() if d.digest == checked.digest), None
    )
    if twin is not None:  # the same content again is the same document
        return {"id": twin.id, "filename": checked.filename}
    relative = f"{UPLOAD_FOLDER}/{checked.stored_name}"
    target = state.settings.corpus_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")  # hidden: never read as a document
    partial.write_bytes(checked.data)
    os.replace(partial, target)
    new_id = document_id(relative)
    state.library.add_upload(new_id, checked.filename, relative, checked.digest)
    return {"id": new_id, "filename": checked.filename}


@router.delete("/api/documents/{doc_id}", dependencies=[Admin])
async def delete_document(doc_id: str, state: State) -> dict[str, str]:
    """Remove a document; after the next switch-over it is never cited again."""
    index = state.holder.current()
    upload = state.library.upload(doc_id)
    document = index.documents.get(doc_id)
    if document is None and upload is None:
        raise HTTPException(404, f"no document with id {doc_id!r}")
    relative = document.path if document else upload.path  # type: ignore[union-attr]
    corpus = state.settings.corpus_dir.resolve()
    path = (corpus / relative).resolve()
    if path.is_relative_to(corpus) and path.is_file():
        path.unlink()
    state.library.remove_upload(doc_id)
    state.jobs.request()
    return {"deleted": doc_id}


@router.get("/api/index", response_model=IndexStatus, dependencies=[Admin])
async def index_status(state: State) -> IndexStatus:
    """Which version this replica serves, the newest versions recorded by any replica, and the
    newest build requests (an open one has no ``done_at``)."""

    def read() -> IndexStatus:
        builds = state.registry.requests()
        return IndexStatus(
            serving=state.holder.current().version,
            versions=state.registry.versions(),
            builds=builds,
            open_builds=sum(1 for b in builds if b["done_at"] is None),
        )

    return await asyncio.to_thread(read)


@router.post("/feedback", status_code=201, dependencies=[Depends(rate_limit)])
async def give_feedback(body: FeedbackRequest, state: State) -> dict[str, int]:
    """Store a reader's 👍/👎 with the index version it was answered from."""
    row = body.model_dump()
    row["index_version"] = state.holder.current().version
    row_id = await asyncio.to_thread(state.library.add_feedback, row)
    return {"id": row_id}
