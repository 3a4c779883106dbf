"""What the API answers about a job: its envelope (:func:`job_answer`) and its status body
(:func:`status_body`)."""

from __future__ import annotations

from typing import Any

from litestar import Response

from reelgate_api.http.errors import error_response
from reelgate_api.http.file_urls import FileSigner
from reelgate_api.http.presentation import present
from reelgate_api.jobs.views import JobView

Json = dict[str, Any]


def job_links(base_url: str, job_id: str) -> Json:
    return {"job_id": job_id, "status_url": f"{base_url}/video/jobs/{job_id}"}


def job_answer(view: JobView, base_url: str, signer: FileSigner) -> Response[Json]:
    """The envelope of a job: the result, the error (409 ``cancelled`` for a cancelled job),
    or, while it has not ended, 202 with where to look later."""
    if view.status == "succeeded" and view.result is not None:
        return Response(present(view.result, base_url, signer), status_code=200)
    if view.status == "failed" and view.error is not None:
        answer = error_response(view.error)
        if isinstance(answer.content, dict) and isinstance(answer.content.get("error"), dict):
            answer.content["error"].setdefault("job_id", view.job_id)
        return answer
    if view.status == "cancelled":
        error = {"type": "cancelled", "message": "the job was cancelled", "job_id": view.job_id}
        return Response({"success": False, "code": 409, "error": error}, status_code=409)
    accepted = {
        "success": True,
        "code": 202,
        "data": {**job_links(base_url, view.job_id), "status": view.status},
    }
    return Response(accepted, status_code=202)


def status_body(view: JobView, base_url: str, signer: FileSigner) -> Json:
    """``GET /video/jobs/{id}``: the job's ``job_id``, ``status``, ``provider``, ``step``,
    ``progress`` (a fraction from 0 to 1, null when unknown) and ``message`` (the latest word
    on it while it runs, e.g. that the provider throttles it) once each, with ``success`` and
    ``code`` (202 until it ended) and, once it ended, the envelope's ``data`` or ``error``."""
    body: Json = {
        "job_id": view.job_id,
        "status": view.status,
        "provider": view.provider,
        "step": view.step,
        "progress": view.progress,
        "message": view.message,
    }
    if view.retryable is not None:
        body["retryable"] = view.retryable
    if not view.ended:
        return {"success": True, "code": 202, **body}
    answer = job_answer(view, base_url, signer)
    envelope = answer.content if isinstance(answer.content, dict) else {}
    return {**envelope, **body}
