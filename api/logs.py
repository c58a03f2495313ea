"""Structured (JSON) logging with the request id on every line."""

from __future__ import annotations

import contextvars
import json
import logging
import re
from datetime import UTC, datetime

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
# What the access log line of the current request says besides method, route and status: the handlers fill it in
# (``note``) as they learn it, the request middleware writes it out.
access_facts: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("access_facts", default=None)
# uvicorn passes "color_message" (its message with ANSI colour codes) as an extra: never written out.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def note(**facts: str | None) -> None:
    """Add ``facts`` (user, operation) to the access log line of the current request, if there is one."""
    current = access_facts.get()
    if current is not None:
        current.update({key: value for key, value in facts.items() if value})


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname, "logger": record.name, "message": _ANSI.sub("", record.getMessage()),
            "request_id": request_id.get(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = f"{record.levelname:7} [{request_id.get()}] {record.name}: {_ANSI.sub('', record.getMessage())}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure(level: str = "INFO", *, as_json: bool = True) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if as_json else PlainFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
