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

from ..library import DEFAULT, Policy
from ..library.uploads import UPLOAD_FOLDER, Rejected, check_upload
from .api import State, rate_limit
from .auth import may_read_collection, may_write, require_admin, require_writer
from .callers import MAX_FILES_PER_UPLOAD, Caller, CallerDep, client_address
from .language_choice import WordsDep
from .languages import Words
from .phrases import Phrase
from .reading import ReadableDep
from .text_input import no_document

# Uploads to a collection other than ``default`` live under this folder of the corpus, one
# sub-folder per collection (whose names are letters and digits only), so that their document
# ids never collide with another collection's or with ``uploads/``'s.
COLLECTION_FOLDER = "collections"

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
    collection: str = DEFAULT


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
async def list_documents(
    state: State, caller: CallerDep, readable: ReadableDep, words: WordsDep
) -> list[LibraryDocument]:
    """What the library holds that the caller may read: indexed documents and uploads pending
    or failed (a failure's reason, where it is one of ours, in the reader's language)."""
    index = readable.index
    policy = state.collections.policy(index.version)
    passages = Counter(p.document_id for p in index.passages)
    uploads = {
        u.id: u
        for u in state.library.uploads()
        if (u.id in readable.documents)
        or (u.id not in index.documents and may_read_collection(caller, policy, u.collection))
    }
    listed = []
    for document in readable.documents.values():
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
                collection=policy.collection_of(document.id),
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
                error=words.gettext(upload.error) if upload.error else None,
                added_at=upload.added_at.isoformat(),
                collection=upload.collection,
            )
        )
    return listed


@router.post(
    "/api/documents",
    status_code=202,
    response_model=UploadResult,
    dependencies=[Depends(require_writer), Depends(rate_limit)],
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
                            },
                            "collection": {"type": "string", "default": DEFAULT},
                        },
                        "required": ["file"],
                    }
                }
            }
        }
    },
)
async def upload_documents(
    request: Request, state: State, caller: CallerDep, words: WordsDep
) -> JSONResponse:
    """Add one or more files (multipart field ``file``) to a collection (field ``collection``,
    default ``default``); they are indexed in the background. A refused file's ``reason`` is
    in the reader's language, its ``code`` the same in every language."""
    try:
        form = await request.form(max_files=MAX_FILES_PER_UPLOAD)
    except (MultiPartException, ValueError, AssertionError) as exc:
        raise HTTPException(
            400,
            Phrase(
                "the upload could not be read as multipart form data: %(problem)s", problem=str(exc)
            ),
        ) from None
    files = [f for f in form.getlist("file") if isinstance(f, UploadFile)]
    if not files:
        raise HTTPException(422, Phrase("send one or more files in the multipart field 'file'"))
    chosen = form.get("collection")
    collection = chosen.strip() if isinstance(chosen, str) and chosen.strip() else DEFAULT
    policy = state.collections.policy(state.holder.current().version, fresh=True)
    _check_writable(caller, policy, collection)
    address = client_address(request, state.settings.trusted_proxies)
    accepted, rejected = [], []
    for upload in files:
        data = await upload.read()
        name = upload.filename or ""
        try:
            stored = await asyncio.to_thread(_store, state, policy, name, data, collection)
        except Rejected as refused:
            rejected.append({"filename": name, **rejection(refused, words)})
            continue
        accepted.append(stored)
        state.audit.record(
            "upload", caller.actor, stored["id"], address, collection=collection, filename=name
        )
    if accepted:
        state.jobs.request()
    return JSONResponse({"accepted": accepted, "rejected": rejected}, status_code=202)


def rejection(refused: Rejected, words: Words) -> dict[str, str]:
    """A refused file's ``reason`` in the reader's language and its ``code``."""
    return {"reason": refused.sentence(words.gettext), "code": refused.code}


def _check_writable(caller: Caller, policy: Policy, collection: str) -> None:
    """404 for a collection the caller may not read (as for one that does not exist), 403 for
    one they may read but not write."""
    if not may_read_collection(caller, policy, collection):
        raise HTTPException(404, Phrase("no collection named %(name)s", name=repr(collection[:64])))
    if not may_write(caller, policy, collection):
        raise HTTPException(403, _may_not_write(collection))


def _may_not_write(collection: str) -> Phrase:
    return Phrase(
        "you may not add documents to or delete from %(collection)s", collection=repr(collection)
    )


def _store(
    state: Any, policy: Policy, filename: str, data: bytes, collection: str
) -> dict[str, str]:
    """Check a file and put it in the corpus's upload folder (written whole, then renamed).
    Its record, with its collection, is written first: the index can never hold the document
    before the library knows whose it is."""
    checked = check_upload(filename, data, state.settings.max_upload_bytes)
    index = state.holder.current()
    twin = state.library.by_digest(checked.digest, collection) or next(
        (
            d
            for d in index.documents.values()
            if d.digest == checked.digest and policy.collection_of(d.id) == collection
        ),
        None,
    )
    if twin is not None:  # the same content again in the same collection is the same document
        return {"id": twin.id, "filename": checked.filename}
    folder = UPLOAD_FOLDER if collection == DEFAULT else f"{COLLECTION_FOLDER}/{collection}"
    relative = f"{folder}/{checked.stored_name}"
    new_id = document_id(relative)
    state.library.add_upload(new_id, checked.filename, relative, checked.digest, collection)
    target = state.settings.corpus_dir / relative
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")  # hidden: never read as a document
        partial.write_bytes(checked.data)
        os.replace(partial, target)
    except OSError:
        state.library.remove_upload(new_id)
        raise
    return {"id": new_id, "filename": checked.filename}


@router.delete("/api/documents/{doc_id}", dependencies=[Depends(require_writer)])
async def delete_document(
    doc_id: str, request: Request, state: State, caller: CallerDep, readable: ReadableDep
) -> dict[str, str]:
    """Remove a document; after the next switch-over it is never cited again."""
    policy = state.collections.policy(readable.version, fresh=True)
    upload = state.library.upload(doc_id)
    document = readable.documents.get(doc_id)
    if upload is not None and document is None and doc_id in readable.index.documents:
        upload = None  # indexed, and not readable by this caller
    if upload is not None and not may_read_collection(caller, policy, upload.collection):
        upload = None
    if document is None and upload is None:  # not readable: as if it did not exist
        raise HTTPException(404, no_document(doc_id))
    collection = upload.collection if upload else policy.collection_of(doc_id)
    if not may_write(caller, policy, collection):
        raise HTTPException(403, _may_not_write(collection))
    relative = document.path if document else upload.path  # type: ignore[union-attr]
    corpus = state.settings.corpus_dir.resolve()
    path = (corpus / relative).resolve()
    if path.is_relative_to(corpus) and path.is_file():
        path.unlink()
    state.library.mark_deleted(doc_id)
    address = client_address(request, state.settings.trusted_proxies)
    state.audit.record("delete", caller.actor, doc_id, address, collection=collection)
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
async def give_feedback(body: FeedbackRequest, state: State, caller: CallerDep) -> dict[str, int]:
    """Store a reader's 👍/👎 with the index version it was answered from (and, signed in,
    whose it is)."""
    row = body.model_dump()
    row["index_version"] = state.holder.current().version
    row["user_name"] = caller.name
    row_id = await asyncio.to_thread(state.library.add_feedback, row)
    return {"id": row_id}


@router.get("/api/feedback")
async def list_feedback(request: Request, state: State, caller: CallerDep) -> list[dict[str, Any]]:
    """Ratings: an admin's (or, with auth off, the admin token's) every one; a signed-in
    reader's own only (a rating quotes the answer it rates, which others may not read)."""
    if caller.via == "open" or caller.role == "admin":
        require_admin(request, caller, request.headers.get("authorization"))
        return await asyncio.to_thread(state.library.feedback)
    if caller.name is None:
        raise HTTPException(
            401,
            Phrase("sign in, or send an API key, to see your feedback"),
            headers={"WWW-Authenticate": "Bearer"},
        )
    return await asyncio.to_thread(state.library.feedback, caller.name)
