"""`-v` / `--debug`: one log line per AWS call on stderr (operation, entity, time, outcome).

Only the names of the entities asked about are logged (a whitelist of request parameters: role,
user, group and policy names and ARNs, access key IDs, secret ARNs): never a request body, a
response, a credential or an external ID. botocore's own debug log, which holds signed headers
and AssumeRole's credentials, is never turned on.
"""
from __future__ import annotations

import logging
import time

LOG = logging.getLogger("iam_auditor.calls")
_ENTITY_PARAMS = ("RoleName", "UserName", "GroupName", "PolicyName", "PolicyArn", "RoleArn",
                  "AccessKeyId", "SecretId", "KeyId", "VersionId", "Filter")
_START = "iam_auditor_call_start"


def install(events) -> None:
    """Register the hooks on a session's event system, only when the log is wanted."""
    if not LOG.isEnabledFor(logging.INFO):
        return
    events.register("before-parameter-build.*.*", _before, unique_id="iam-auditor-calllog-in")
    events.register("after-call.*.*", _after, unique_id="iam-auditor-calllog-out")
    events.register("after-call-error.*.*", _failed, unique_id="iam-auditor-calllog-error")


def _operation(model) -> str:
    prefix = model.service_model.signing_name or model.service_model.endpoint_prefix
    return f"{prefix}:{model.name}"


def _before(params, model, context, **_kwargs) -> None:
    entity = " ".join(f"{name}={params[name]}" for name in _ENTITY_PARAMS
                      if name in params and params[name] not in (None, "", []))
    context[_START] = (time.monotonic(), entity)


def _after(http_response, parsed, model, context, **_kwargs) -> None:
    started, entity = context.get(_START, (time.monotonic(), ""))
    elapsed = (time.monotonic() - started) * 1000
    error = (parsed or {}).get("Error", {}).get("Code") if isinstance(parsed, dict) else None
    outcome = error or getattr(http_response, "status_code", "?")
    LOG.info("call %s %s %.0f ms %s", _operation(model), entity or "-", elapsed, outcome)
    if LOG.isEnabledFor(logging.DEBUG) and isinstance(parsed, dict):
        meta = parsed.get("ResponseMetadata", {})
        LOG.debug("  request id %s, %s retries", meta.get("RequestId", "-"),
                  meta.get("RetryAttempts", 0))


def _failed(exception, model, context, **_kwargs) -> None:
    started, entity = context.get(_START, (time.monotonic(), ""))
    LOG.info("call %s %s %.0f ms failed: %s", _operation(model), entity or "-",
             (time.monotonic() - started) * 1000, type(exception).__name__)


def configure(verbose: bool, debug: bool) -> None:
    """Logging on stderr for `-v` (INFO: the calls) or `--debug` (DEBUG: also request IDs,
    retries and what the run decided)."""
    if not (verbose or debug):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("iam-auditor: %(asctime)s.%(msecs)03d %(threadName)s "
                                           "%(message)s", "%H:%M:%S"))
    root = logging.getLogger("iam_auditor")
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
