"""Model retirement: a warning when a profile's model retires soon, and the message when it has retired.

Pure: the dates come from the capability row (`deprecated`, `retires`, `replacement`; catalogue-2026
"Lifecycle", RS and LC), today's date from the caller. After retirement Azure answers every call with
410 Gone (LC); the adapter turns that status into an error whose text is `retired_message`.
"""

from __future__ import annotations

from datetime import date

from chatls.azure.types import ModelCapabilities

WARN_WITHIN_DAYS = 30


def _model(caps: ModelCapabilities) -> str:
    return caps.model or caps.family


def _replacement(caps: ModelCapabilities) -> str:
    if caps.replacement:
        return f"Microsoft suggests {caps.replacement} instead: deploy it and point the profile at it."
    return "Deploy a current model and point the profile at it (see Azure's model retirement schedule)."


def _retires(caps: ModelCapabilities) -> date | None:
    try:
        return date.fromisoformat(caps.retires) if caps.retires else None
    except ValueError:
        return None


def lifecycle_warning(caps: ModelCapabilities, today: date, *, profile: str = "") -> str | None:
    """A warning when the model retires within 30 days or has retired, else None."""
    retires = _retires(caps)
    if retires is None:
        return None
    whose = f"Profile {profile!r} uses {_model(caps)}" if profile else f"{_model(caps)}"
    days = (retires - today).days
    if days < 0:
        return (
            f"{whose}, which Azure retired on {retires.isoformat()}; its requests now fail (410 Gone). "
            + _replacement(caps)
        )
    if days > WARN_WITHIN_DAYS:
        return None
    when = "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
    return (
        f"{whose}, which Azure retires on {retires.isoformat()} ({when}); after that every request fails. "
        + _replacement(caps)
    )


def retired_message(caps: ModelCapabilities, deployment: str) -> str:
    """The error text for a deployment refused with 410 Gone because its model retired."""
    retires = _retires(caps)
    since = f" on {retires.isoformat()}" if retires else ""
    model = _model(caps)
    known = "" if caps.family == "unknown" else f" ({model})"
    return (
        f"Azure refused deployment {deployment!r}: its model{known} was retired{since} (410 Gone). "
        + _replacement(caps)
    )
