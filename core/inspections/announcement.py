"""Announce, then draw: which public value a draw (or a replacement) will use, and the checks on the value.

Freezing a plan (or filing a replacement) announces the next event of the configured public source at least
the notice period ahead, its canonical format as a pattern, and the earliest time the value may be entered
(the event plus the delay until its result is public). The value is then refused when it is empty, not in
the format exactly, or entered before that time (docs/draw-spec.md §1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Any

from core.config import Settings
from core.error_codes import ErrorCode
from core.errors import Conflict, FieldError, ValidationFailed


@dataclass(frozen=True)
class PublicSource:
    name: str
    pattern: str
    event_time: time
    offset: timezone
    interval: timedelta  # zero: the event is the end of the notice period itself
    notice: timedelta
    delay: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> PublicSource:
        hours, minutes = (int(p) for p in settings.draw_public_event_time.split(":"))
        sign = -1 if settings.draw_public_utc_offset.startswith("-") else 1
        off_h, off_m = (int(p) for p in settings.draw_public_utc_offset[1:].split(":"))
        return cls(name=settings.draw_public_source, pattern=settings.draw_public_pattern,
                   event_time=time(hours, minutes), offset=timezone(sign * timedelta(hours=off_h, minutes=off_m)),
                   interval=timedelta(minutes=settings.draw_public_interval_minutes),
                   notice=timedelta(minutes=settings.draw_notice_minutes),
                   delay=timedelta(minutes=settings.draw_result_delay_minutes))

    def next_event(self, after: datetime) -> datetime:
        """The first event at or after ``after`` + notice, in the source's offset."""
        first = (after + self.notice).astimezone(self.offset)
        if not self.interval:
            return first
        event = datetime.combine(first.date(), self.event_time, tzinfo=self.offset) - self.interval
        while event < first:
            event += self.interval
        return event

    def announce(self, at: datetime, *, draw_number: str | None = None) -> dict[str, Any]:
        """The announcement published at ``at`` (a freeze or a filing): strings only, canonical-JSON ready."""
        event = self.next_event(at)
        return {"source": self.name, "draw_number": draw_number, "event_date": event.date().isoformat(),
                "event_at": event.isoformat(), "pattern": self.pattern,
                "earliest_draw": (event + self.delay).isoformat()}


def check_value(value: str, announcement: dict[str, Any], now: datetime, *, field: str = "publicValue") -> None:
    """Refuse an empty value, a value not exactly in the announced format, or one entered too early."""
    if not value:
        raise ValidationFailed([FieldError(field, f"the announced value of {announcement['source']} "
                                                  f"({announcement['event_date']}) is required",
                                           ErrorCode.PUBLIC_VALUE_REQUIRED)])
    if re.fullmatch(announcement["pattern"], value) is None:
        raise ValidationFailed([FieldError(field, f"{value!r} is not in the announced format "
                                                  f"{announcement['pattern']!r}; enter the result exactly so",
                                           ErrorCode.PUBLIC_VALUE_FORMAT)])
    earliest = datetime.fromisoformat(announcement["earliest_draw"])
    if now < earliest:
        raise Conflict(f"the announced value of {announcement['source']} is public from {earliest.isoformat()}; "
                       f"it cannot be used before", code=ErrorCode.DRAW_TOO_EARLY, field=field)
