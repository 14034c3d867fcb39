"""``POST /v1/batches``: a data steward uploads a department export (SPEC §7).

The key is checked before the body is read, so a refused caller never gets a file onto disk.
The multipart body is then parsed by Starlette, which spools a file part to a temporary file past
1 MiB, and copied block by block into the upload folder: a 1 GB export never sits in memory.
The answer is the summary ``zonecredit data ingest --json`` prints, with ``rescore``: what the
rescoring of the enterprises a loaded batch touches wrote (``serving.rescore.rescore_touched``).
"""

from __future__ import annotations

import shutil
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import JSONResponse

from serving.deps import PurposeDep, StateDep, StewardPrincipal
from serving.errors import ApiError
from serving.routes.scores import ERRORS
from serving.uploads import (
    checked_source,
    ingest_upload,
    mappings_and_profile,
    new_upload_dir,
    public_report,
    rescore_upload,
    store_upload,
)

router = APIRouter(prefix="/batches", tags=["batches"])
TRUE_FORM = {"1", "true", "yes", "on"}
FALSE_FORM = {"", "0", "false", "no", "off"}
STATUS_CODES = {"loaded": 201, "dry_run": 200, "already_loaded": 200, "rejected": 422}
FORM_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["source", "file"],
                    "properties": {
                        "source": {"type": "string", "description": "Source name, e.g. tax."},
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "CSV, Parquet, .xlsx or .xls.",
                        },
                        "profile": {"type": "string", "description": "A saved department profile."},
                        "column": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "HEADER=column, repeatable (maps a header by hand).",
                        },
                        "sheet": {"type": "string", "description": "The one Excel sheet to read."},
                        "dry_run": {"type": "boolean", "description": "Validate and report; commit nothing."},
                        "received_on": {"type": "string", "format": "date"},
                    },
                }
            }
        },
    }
}


def _flag(value: str | None, name: str) -> bool:
    text = (value or "").strip().lower()
    if text not in TRUE_FORM | FALSE_FORM:
        raise ApiError(422, f"{name} must be true or false, not {value!r}")
    return text in TRUE_FORM


def _day(value: str | None) -> date | None:
    if not value or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ApiError(422, f"received_on must be a date (YYYY-MM-DD), not {value!r}") from None


def _text(value: object, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value.strip() or None if value else None
    raise ApiError(422, f"{name} must be a text field, not a file")


@router.post(
    "",
    status_code=201,
    responses={**ERRORS, 200: {"description": "A dry run, or a file loaded before"}},
    summary="Upload a department export",
    openapi_extra=FORM_SCHEMA,
)
async def upload_batch(
    request: Request, principal: StewardPrincipal, state: StateDep, purpose: PurposeDep
) -> JSONResponse:
    """Validate an export and load it as a batch (or only report what would happen: ``dry_run``).

    Answers 201 with the batch summary when loaded, 200 for a dry run or a file loaded before,
    422 with the summary (reason and suggested column mappings) when the file is refused.
    """
    settings = state.settings
    async with request.form(max_files=1, max_fields=200) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(422, "file: send the export as a multipart file field named 'file'")
        source = checked_source(_text(form.get("source"), "source"))
        columns, profile = mappings_and_profile(
            settings.home,
            [str(_text(c, "column") or "") for c in form.getlist("column")],
            _text(form.get("profile"), "profile"),
        )
        sheet = _text(form.get("sheet"), "sheet")
        dry_run = _flag(_text(form.get("dry_run"), "dry_run"), "dry_run")
        received_on = _day(_text(form.get("received_on"), "received_on"))
        folder = new_upload_dir(settings.home)
        try:
            path = await run_in_threadpool(store_upload, upload.file, folder, upload.filename)
            summary = await run_in_threadpool(
                ingest_upload,
                settings,
                source,
                path,
                columns=columns,
                profile=profile,
                sheet=sheet,
                dry_run=dry_run,
                received_on=received_on,
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    state.audit.record(
        principal,
        "POST /v1/batches",
        purpose,
        detail=f"{source} {path.name}: {summary.status} {summary.batch_id}"[:500],
        status=STATUS_CODES[summary.status],
    )
    report = public_report(summary, principal)
    report["rescore"] = await run_in_threadpool(rescore_upload, state, summary)
    if summary.status == "rejected":
        report = {"detail": summary.message, **report}
    return JSONResponse(report, status_code=STATUS_CODES[summary.status])
