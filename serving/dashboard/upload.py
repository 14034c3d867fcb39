"""``/data/upload``: a data steward loads a department export from the browser, no shell needed.

Four steps, each a plain form (the dashboard runs no scripts): send the file (the source picked
or detected from its headers), review the header mapping — the contract column of each header,
suggestions filled in and marked where a header matched nothing — and fix it, see the dry run
(first rows, what would be quarantined or skipped and why), then commit. The commit runs in a
background thread; its page reloads itself every second to move a progress bar until the batch
is loaded, and the batch then shows on ``/quality``.

An upload in progress is a folder under ``ZONECREDIT_HOME/uploads`` holding the file and
``draft.json`` (its owner, mapping and last dry run), so every server worker sees the same state.
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import RedirectResponse, Response

from data.contracts import SOURCES, get_source
from data.errors import RejectedFile
from data.ingest import BatchSummary
from data.profiles import list_profiles
from data.readers import open_raw
from serving.dashboard.frame import (
    DashboardRoute,
    Viewer,
    audit_view,
    check_csrf,
    render,
    viewer_in,
)
from serving.deps import StateDep
from serving.errors import ApiError
from serving.uploads import (
    checked_source,
    ingest_upload,
    new_upload_dir,
    profile_named,
    public_report,
    rescore_upload,
    store_upload,
    uploads_dir,
)

router = APIRouter(route_class=DashboardRoute, include_in_schema=False)
StewardViewerDep = Annotated[Viewer, Depends(viewer_in("steward"))]
UploadId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{16}$")]
DRAFT_FILE = "draft.json"
JOB_FILE = "job.json"
MAX_HEADERS = 200


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False, default=str))
    tmp.replace(path)  # a reader sees the old state or the new one, never half of it


def _folder(state: Any, upload_id: str) -> Path:
    return uploads_dir(state.settings.home) / upload_id


def _draft(state: Any, viewer: Viewer, upload_id: str) -> dict[str, Any]:
    """Return the viewer's own upload, or 404 (another steward's upload is not confirmed to exist)."""
    path = _folder(state, upload_id) / DRAFT_FILE
    draft = json.loads(path.read_text()) if path.exists() else None
    if draft is None or draft["owner"] != viewer.principal.key_id:
        raise ApiError(404, f"upload {upload_id} not found")
    return draft


def detect_source(path: Path, sheet: str | None) -> str | None:
    """Return the source whose contract the file's headers match best (most columns), if any."""
    best: tuple[int, str] | None = None
    for name, source in SOURCES.items():
        try:
            layout, chunks = open_raw(path, source, 1_000, sheet=sheet)
        except RejectedFile:
            continue
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
        if best is None or len(layout.mapping) > best[0]:
            best = (len(layout.mapping), name)
    return best[1] if best else None


def _dry_run(
    state: Any, viewer: Viewer, folder: Path, draft: dict[str, Any], suggest: bool = False
) -> dict[str, Any]:
    """Dry-run the file with the draft's mapping; with ``suggest`` (a first look at the file), if
    required columns are missing, try again with the suggested columns filled in (and marked)."""
    profile = profile_named(state.settings.home, draft["profile"])

    def dry_run(columns: dict[str, str]) -> BatchSummary:
        return ingest_upload(
            state.settings,
            draft["source"],
            folder / draft["file"],
            columns=columns,
            profile=profile,
            sheet=draft["sheet"],
            dry_run=True,
        )

    summary = dry_run(draft["columns"])
    if suggest and summary.status == "rejected" and summary.suggestions:
        suggested = {h: c for h, c in summary.suggestions.items() if h not in draft["columns"]}
        if suggested:
            draft["suggested"] = sorted(suggested)
            draft["columns"] = {**draft["columns"], **suggested}
            summary = dry_run(draft["columns"])
    draft["report"] = public_report(summary, viewer.principal)
    _write_json(folder / DRAFT_FILE, draft)
    return draft


@router.get("/data/upload")
def upload_form(request: Request, viewer: StewardViewerDep, state: StateDep) -> Response:
    """Step 1: choose the file, its source (or let the headers tell) and a saved profile."""
    return render(
        request,
        "upload.html",
        viewer,
        page="upload",
        sources=list(SOURCES),
        profiles=[p.name for p in list_profiles(state.settings.home)],
    )


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    if value is not None and not isinstance(value, str):
        raise ApiError(422, f"{name} must be a text field")
    return value.strip() or None if value else None


@router.post("/data/upload")
async def upload_file(request: Request, viewer: StewardViewerDep, state: StateDep) -> Response:
    """Step 2: store the file on disk in blocks, find its source, dry-run it, show the review."""
    async with request.form(max_files=1, max_fields=20) as form:
        check_csrf(viewer, _text(form, "csrf") or "")
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ApiError(422, "file: choose the export to upload")
        source, profile, sheet = _text(form, "source"), _text(form, "profile"), _text(form, "sheet")
        detected = source is None
        if source is not None:
            checked_source(source)
        folder = new_upload_dir(state.settings.home)
        path = await run_in_threadpool(store_upload, upload.file, folder, upload.filename)
    try:
        if source is None:
            source = await run_in_threadpool(detect_source, path, sheet)
        if source is None:
            raise ApiError(
                422, f"{path.name}: its headers match no source; pick the source and map the headers"
            )
        draft = {
            "owner": viewer.principal.key_id,
            "file": path.name,
            "source": source,
            "detected": detected,
            "profile": profile,
            "sheet": sheet,
            "columns": {},
            "suggested": [],
        }
        await run_in_threadpool(_dry_run, state, viewer, folder, draft, True)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    audit_view(state, viewer, "POST /data/upload", detail=f"{source} {path.name} dry run")
    return RedirectResponse(f"/data/upload/{folder.name}", status_code=303)


def _headers(batch: dict[str, Any], draft: dict[str, Any]) -> list[tuple[str, str | None]]:
    """Return each header of the file with the column it maps to (None: ignored), in file order
    where the dry run knows it."""
    if batch["columns"] or batch["ignored_columns"]:
        mapped = batch["columns"]
        known = [*mapped, *[h for h in batch["ignored_columns"] if h not in mapped]]
        return [(h, mapped.get(h)) for h in known]
    names = [*draft["columns"], *[h for h in batch["suggestions"] if h not in draft["columns"]]]
    return [(h, draft["columns"].get(h) or batch["suggestions"].get(h)) for h in names]


@router.get("/data/upload/{upload_id}")
def review(request: Request, viewer: StewardViewerDep, state: StateDep, upload_id: UploadId) -> Response:
    """Step 3: the header mapping (with suggestions) to fix, and the dry run's findings."""
    draft = _draft(state, viewer, upload_id)
    batch = draft["report"]["batches"][0]
    return render(
        request,
        "upload_review.html",
        viewer,
        page="upload",
        upload_id=upload_id,
        draft=draft,
        batch=batch,
        headers=_headers(batch, draft),
        columns=get_source(draft["source"]).column_names,
        sources=list(SOURCES),
        preview_columns=[
            c for c in get_source(draft["source"]).column_names if any(c in r for r in batch["preview"])
        ],
    )


@router.post("/data/upload/{upload_id}/check")
async def check_again(
    request: Request, viewer: StewardViewerDep, state: StateDep, upload_id: UploadId
) -> Response:
    """Dry-run again with the mapping as the steward fixed it (and the source, if changed)."""
    draft = _draft(state, viewer, upload_id)
    async with request.form(max_files=0, max_fields=2 * MAX_HEADERS + 10) as form:
        check_csrf(viewer, _text(form, "csrf") or "")
        source = checked_source(_text(form, "source") or draft["source"])
        headers = [str(h) for h in form.getlist("header")]
        chosen = [str(c).strip() for c in form.getlist("column")]
    if len(headers) != len(chosen):
        raise ApiError(422, "the mapping form lost a header or a column; reload the page")
    allowed = set(get_source(source).column_names)
    bad = [c for c in chosen if c and c not in allowed]
    if bad:
        raise ApiError(422, f"{source} has no column {bad[0]!r}")
    changed_source = source != draft["source"]
    draft |= {
        "source": source,
        "columns": {} if changed_source else {h: c for h, c in zip(headers, chosen, strict=True) if c},
        "suggested": [],
        "profile": None if changed_source else draft["profile"],
    }
    await run_in_threadpool(_dry_run, state, viewer, _folder(state, upload_id), draft)
    return RedirectResponse(f"/data/upload/{upload_id}", status_code=303)


def _commit(state: Any, viewer: Viewer, folder: Path, draft: dict[str, Any]) -> None:
    """Ingest the file for real, writing progress to the job file; runs in its own thread."""
    job_path = folder / JOB_FILE
    batch = draft["report"]["batches"][0]
    total = int(batch["rows_in"]) + int(batch["rows_skipped"])
    job: dict[str, Any] = {"state": "running", "rows_done": 0, "rows_total": total}

    def progress(rows: int) -> None:
        _write_json(job_path, job | {"rows_done": rows})

    try:
        profile = profile_named(state.settings.home, draft["profile"])
        summary = ingest_upload(
            state.settings,
            draft["source"],
            folder / draft["file"],
            columns=draft["columns"],
            profile=profile,
            sheet=draft["sheet"],
            dry_run=False,
            progress=progress,
        )
        job = {
            "state": "done",
            "rows_done": total,
            "rows_total": total,
            "report": public_report(summary, viewer.principal) | {"rescore": rescore_upload(state, summary)},
        }
        audit_view(
            state,
            viewer,
            "POST /data/upload/{upload_id}/commit",
            detail=f"{summary.source} {summary.status} {summary.batch_id}",
        )
    except Exception as exc:  # reported on the progress page; the staged batch was dropped
        job = {
            "state": "failed",
            "rows_done": 0,
            "rows_total": total,
            "message": str(exc) or type(exc).__name__,
        }
    finally:
        (folder / draft["file"]).unlink(missing_ok=True)  # loaded or not, the warehouse has what counts
    _write_json(job_path, job)


@router.post("/data/upload/{upload_id}/commit")
async def commit(
    request: Request, viewer: StewardViewerDep, state: StateDep, upload_id: UploadId
) -> Response:
    """Step 4: load the batch in the background and show its progress."""
    draft = _draft(state, viewer, upload_id)
    async with request.form(max_files=0, max_fields=5) as form:
        check_csrf(viewer, _text(form, "csrf") or "")
    folder = _folder(state, upload_id)
    if draft["report"]["batches"][0]["status"] != "dry_run":
        raise ApiError(409, "only a file whose dry run passed can be committed; fix the mapping first")
    try:  # created exclusively: a second click (or a second worker) finds the job already started
        with (folder / JOB_FILE).open("x") as handle:
            handle.write(json.dumps({"state": "running", "rows_done": 0, "rows_total": 0}))
    except FileExistsError:
        return RedirectResponse(f"/data/upload/{upload_id}/progress", status_code=303)
    threading.Thread(
        target=_commit, args=(state, viewer, folder, draft), name=f"upload-{upload_id}", daemon=True
    ).start()
    return RedirectResponse(f"/data/upload/{upload_id}/progress", status_code=303)


@router.get("/data/upload/{upload_id}/progress")
def progress_page(
    request: Request, viewer: StewardViewerDep, state: StateDep, upload_id: UploadId
) -> Response:
    """The commit's progress bar (the page reloads itself until the batch is in), then its summary."""
    draft = _draft(state, viewer, upload_id)
    path = _folder(state, upload_id) / JOB_FILE
    if not path.exists():
        return RedirectResponse(f"/data/upload/{upload_id}", status_code=303)
    job = json.loads(path.read_text())
    return render(
        request, "upload_progress.html", viewer, page="upload", upload_id=upload_id, draft=draft, job=job
    )
