"""AzureChatClient: one chat turn against a profile, over the wire each deployment answers on.

One flat attempt loop per deployment: choose the wire (Chat Completions or Responses), shape the request,
read the reply as neutral events, and
- on a 400 that names a parameter or value: learn the fix, persist it, send again (each subject once);
- on `OperationNotSupported`: switch the deployment to the other wire, persist that, send again (once);
- on 408/409/429/5xx, a connection error or a stream cut short before any content: wait (counting down
  in status events), retry;
- when the deployment cannot serve the turn (rate limit, failures, not found, refused on every wire):
  fail over to the next one, with a note.
While nothing visible has arrived, "thinking N s" status events keep the user informed. Background runs
(Responses) can be resumed after a restart (`resume`) and cancelled upstream (`cancel_run`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import httpx2
import openai

from chatls.azure import data_sources
from chatls.azure import retry as retry_rules
from chatls.azure.auth import auth_hint, default_credential, entra_token_provider, resolve_api_key
from chatls.azure.capabilities import UNKNOWN, CapabilityTable, resolution_note, resolve_capabilities
from chatls.azure.endpoints import auth_headers_to_omit, make_sdk_client
from chatls.azure.errors import (
    AzureError,
    ConfigurationError,
    ContentFilterError,
    DeploymentNotFound,
    IncompleteReply,
    ModelRetired,
    NetworkError,
    OperationNotSupported,
    RateLimitExhausted,
    ReasoningBudgetExhausted,
    RunLost,
    ServiceError,
    error_from_failed_response,
    error_from_status,
    operation_not_supported,
    unsupported_operation_model,
)
from chatls.azure.healing import Lessons, apply_lessons
from chatls.azure.lifecycle import retired_message
from chatls.azure.limits import apply_learned_limits, learn_limit, limit_from_error
from chatls.azure.pacing import paced
from chatls.azure.profile import Profile
from chatls.azure.retry import RetryPolicy
from chatls.azure.shaping import ShapedRequest
from chatls.azure.types import (
    ChatEvent,
    ChatOptions,
    ChatResult,
    ContentEvent,
    Conversation,
    LessonStore,
    ModelCapabilities,
    ReasoningEvent,
    RunStartedEvent,
    StatusEvent,
    ToolCallEvent,
    Wire,
)
from chatls.azure.wires import choose_wire, other_wire
from chatls.azure.wires.base import ChatWire, WireEnding
from chatls.azure.wires.chat import CHAT
from chatls.azure.wires.responses import RESPONSES
from chatls.logging_setup import register_secret

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_HEALS_PER_CHAT = 4
"""A backstop only: each heal must fix a different subject, of which a payload has few."""
_FAILOVER = (
    RateLimitExhausted,
    ServiceError,
    NetworkError,
    DeploymentNotFound,
    OperationNotSupported,
    ModelRetired,
    IncompleteReply,
)
"""What means "this deployment cannot serve the turn now": the next one in the profile gets it."""


class _Retry(Exception):
    """Internal: the attempt failed in a way that allows another one."""

    def __init__(self, *, status: int | None, headers: Any, message: str | None, final: AzureError) -> None:
        super().__init__(final.user_message)
        self.status = status
        self.headers = headers
        self.message = message
        self.final = final


class AzureChatClient:
    def __init__(
        self,
        profile: Profile,
        *,
        lessons: LessonStore | None = None,
        retry: RetryPolicy | None = None,
        api_key: str | None = None,
        credential: Any = None,
        http_client: httpx2.AsyncClient | None = None,
        capability_table: CapabilityTable | None = None,
        data_source_secrets: Mapping[str, str] | None = None,
    ) -> None:
        self.profile = profile
        self._data_source_secrets = dict(data_source_secrets or {})
        """On Your Data credentials the editor handed over, by the name a profile's source gives them."""
        self._table = capability_table  # None: the packaged table; else with the user's models.toml rows
        self._lesson_store = lessons
        self._retry = retry or RetryPolicy()
        self._handed_key = api_key
        self._credential = credential
        self._owned_credential: Any = None
        self._http_client = http_client
        self._sdk: openai.AsyncOpenAI | None = None
        self._secrets: list[str] = [api_key] if api_key else []
        self._lessons: dict[str, Lessons] = {}
        self._caps: dict[str, ModelCapabilities] = {}
        self._reported: set[str] = set()
        self._random = random.Random()

    def __repr__(self) -> str:
        profile = self.profile
        return (
            f"AzureChatClient(profile={profile.name!r}, endpoint={profile.endpoint!r}, auth={profile.auth!r})"
        )

    # ----- capabilities and lessons -------------------------------------------------------------

    @property
    def capabilities(self) -> ModelCapabilities:
        """What the preferred deployment accepts (table row refined by lessons)."""
        return self.capabilities_for(self.profile.deployment or "")

    def capabilities_for(self, deployment: str) -> ModelCapabilities:
        cached = self._caps.get(deployment)
        if cached is None:
            cached = self._caps[deployment] = self._resolve(deployment)
        return cached

    def _resolve(self, deployment: str) -> ModelCapabilities:
        lessons = self._lessons_for(deployment) if deployment else Lessons()
        caps = resolve_capabilities(
            model=self.profile.model,
            deployment=deployment or None,
            observed_model=lessons.model,
            context_window=self.profile.context_window,
            table=self._table,
        )
        return apply_learned_limits(apply_lessons(caps, lessons), lessons.to_dict())

    def _lessons_for(self, deployment: str) -> Lessons:
        if deployment not in self._lessons:
            stored: dict[str, Any] = {}
            if self._lesson_store is not None:
                try:
                    stored = self._lesson_store.load_lessons(self._endpoint_key(), deployment)
                except Exception:
                    log.warning("could not read self-healing lessons for %s", deployment, exc_info=True)
            self._lessons[deployment] = Lessons.from_dict(stored)
        return self._lessons[deployment]

    def _save_lessons(self, deployment: str, lessons: Lessons) -> None:
        self._lessons[deployment] = lessons
        self._caps.pop(deployment, None)
        if self._lesson_store is None:
            return
        try:
            self._lesson_store.save_lessons(self._endpoint_key(), deployment, lessons.to_dict())
        except Exception:
            log.warning("could not store self-healing lessons for %s", deployment, exc_info=True)

    def _endpoint_key(self) -> str:
        return (self.profile.endpoint or "").rstrip("/").lower()

    # ----- the SDK client ----------------------------------------------------------------------

    def _require_settings(self) -> tuple[str, tuple[str, ...]]:
        name = self.profile.name
        if not self.profile.endpoint:
            raise ConfigurationError(
                f'Profile {name!r} has no endpoint: set "endpoint" (e.g. https://NAME.openai.azure.com) '
                "or the environment variable AZURE_OPENAI_ENDPOINT.",
                key="endpoint",
            )
        if not self.profile.deployments:
            raise ConfigurationError(
                f'Profile {name!r} has no deployment: set "deployment" (the name of your Azure deployment) '
                "or the environment variable AZURE_OPENAI_DEPLOYMENT.",
                key="deployment",
            )
        return self.profile.endpoint, self.profile.deployments

    def _sdk_client(self, endpoint: str) -> openai.AsyncOpenAI:
        if self._sdk is not None:
            return self._sdk
        api_key = None
        token_provider = None
        if self.profile.auth == "entra":
            credential = self._credential
            if credential is None:
                credential = self._owned_credential = self._owned_credential or default_credential()
            token_provider = entra_token_provider(credential)
        else:
            api_key = resolve_api_key(self.profile, self._handed_key)
            self._secrets.append(api_key)
        self._sdk = make_sdk_client(
            self.profile,
            endpoint,
            api_key=api_key,
            token_provider=token_provider,
            http_client=self._http_client,
        )
        return self._sdk

    async def aclose(self) -> None:
        sdk, self._sdk = self._sdk, None
        if sdk is not None and self._http_client is None:
            await sdk.close()
        credential, self._owned_credential = self._owned_credential, None
        if credential is not None:
            await credential.close()

    # ----- chat ----------------------------------------------------------------------------------

    async def chat(self, conversation: Conversation, options: ChatOptions) -> AsyncGenerator[ChatEvent, None]:
        """Events ending with exactly one ChatResult (or an AzureError). A background run is announced with
        a RunStartedEvent before any content; closing this generator never cancels it upstream."""
        try:
            async for event in self._run(conversation, self._with_profile_defaults(options)):
                yield event
        except AzureError as exc:
            raise self._scrubbed(exc) from None

    def _with_profile_defaults(self, options: ChatOptions) -> ChatOptions:
        profile = self.profile
        return replace(
            options,
            max_completion_tokens=options.max_completion_tokens or profile.max_completion_tokens,
            reasoning_effort=options.reasoning_effort or profile.reasoning_effort,
            temperature=options.temperature if options.temperature is not None else profile.temperature,
            verbosity=options.verbosity or profile.verbosity,
        )

    async def _run(self, conversation: Conversation, options: ChatOptions) -> AsyncIterator[ChatEvent]:
        endpoint, deployments = self._require_settings()
        sdk = self._sdk_client(endpoint)
        notes: list[str] = []
        for index, deployment in enumerate(deployments):
            attempts = _Attempts()
            try:
                while True:
                    caps = self.capabilities_for(deployment)
                    wire = _WIRES[choose_wire(caps, self.profile, options)]
                    shaped = self._credentialed(
                        wire.shape(conversation, options, caps, self.profile, deployment)
                    )
                    visible = False
                    ending: WireEnding | None = None
                    started = asyncio.get_running_loop().time()
                    try:
                        async for event in paced(wire.events(sdk, shaped, self._headers()), started):
                            if isinstance(event, WireEnding):
                                ending = event
                                continue
                            if isinstance(event, RunStartedEvent):
                                event = RunStartedEvent({**event.handle, **self._route(deployment)})
                            if isinstance(event, _VISIBLE):
                                visible = attempts.emitted = True
                            yield event
                    except openai.BadRequestError as exc:
                        self._learn_or_raise(exc, wire, shaped, caps, deployment, notes, attempts)
                        continue
                    except _RETRYABLE as exc:
                        retry = self._retry_or_raise(exc, deployment, visible)
                        delay = self._delay_or_raise(retry, deployment, attempts)
                        async for status in _countdown(_wait_label(retry.status), delay):
                            yield status
                        attempts.waited += delay
                        continue
                    assert ending is not None, "a wire always ends with a WireEnding or an error"
                    if caps.resolution == "inferred":  # shown once per client, like every note
                        notes.append(resolution_note(caps, deployment) or "")
                    notes.extend(shaped.adaptations)
                    yield self._result(ending, shaped.wire, deployment, caps, notes)
                    return
            except _FAILOVER as exc:
                if attempts.emitted or index + 1 == len(deployments):
                    raise
                following = deployments[index + 1]
                log.info("failing over from %s to %s: %s", deployment, following, exc.kind)
                notes.append(
                    f"deployment {deployment!r} unavailable ({exc.kind.replace('_', ' ')}); "
                    f"used {following!r}"
                )
                yield StatusEvent(f"{deployment} unavailable, trying {following}")

    def _credentialed(self, shaped: ShapedRequest) -> ShapedRequest:
        """The request with its data sources' credentials read now (never kept in the profile)."""
        body = shaped.payload.get("data_sources")
        if not body:
            return shaped
        filled, used = data_sources.with_credentials(
            body, self.profile.data_sources, self._data_source_secrets
        )
        for secret in used:
            register_secret(secret)  # masked in every log record from now on
            if secret not in self._secrets:
                self._secrets.append(secret)
        return replace(shaped, payload={**shaped.payload, "data_sources": filled})

    def _headers(self) -> dict[str, Any]:
        return auth_headers_to_omit(self.profile)

    def _route(self, deployment: str) -> dict[str, Any]:
        """What a run handle needs besides the response id to find the run again."""
        return {
            "wire": "responses",
            "deployment": deployment,
            "endpoint": self._endpoint_key(),
            "api_version": self.profile.api_version,
        }

    def _fresh_notes(self, notes: list[str]) -> tuple[str, ...]:
        """Each note reaches the user once per client."""
        fresh = tuple(dict.fromkeys(note for note in notes if note not in self._reported))
        self._reported.update(fresh)
        return fresh

    def _learn_or_raise(
        self,
        exc: openai.BadRequestError,
        wire: ChatWire,
        shaped: ShapedRequest,
        caps: ModelCapabilities,
        deployment: str,
        notes: list[str],
        attempts: _Attempts,
    ) -> None:
        """Learn and store the one fix this 400 names (or the wire to use), or raise it as a typed error.

        Each fix is retried once: a 400 about something this chat already fixed (the fix did not take)
        is raised, never healed again, so healing cannot loop.
        """
        error = _error_object(exc)
        named = unsupported_operation_model(error)
        if named is not None:
            self._switch_wire_or_raise(wire.name, named, deployment, notes, attempts)
            return
        healing = wire.learn(error, shaped, caps, self._lessons_for(deployment), deployment)
        if (
            healing is None
            or healing.subject in attempts.healed
            or len(attempts.healed) >= MAX_HEALS_PER_CHAT
        ):
            self._learn_limit(error, deployment)
            raise self._status_error(exc, deployment) from None
        attempts.healed.add(healing.subject)
        log.info("self-healing %s: %s", deployment, healing.note)
        self._save_lessons(deployment, healing.lessons)
        notes.append(healing.note)

    def _learn_limit(self, error: Mapping[str, Any], deployment: str) -> None:
        """A refusal that states a limit (context window, input, output) is remembered, so later turns
        are fitted to it (`capabilities_for`); the refusal itself is still raised (the caller trims and
        retries)."""
        limit = limit_from_error(error)
        if limit is None:
            return
        caps = self.capabilities_for(deployment)
        known = {"context_window": caps.context_window, "max_input_tokens": caps.input_limit}
        if limit.tokens >= known.get(limit.key, caps.max_output_tokens):
            return  # nothing new: the table (or an earlier lesson) already says as much
        lessons = self._lessons_for(deployment)
        learned = Lessons.from_dict(learn_limit(lessons.to_dict(), limit))
        if learned != lessons:
            log.info("deployment %s: %s", deployment, limit.note(deployment))
            self._save_lessons(deployment, learned)

    def _switch_wire_or_raise(
        self, refused: Wire, model: str, deployment: str, notes: list[str], attempts: _Attempts
    ) -> None:
        """`OperationNotSupported` on one wire: the deployment's turns go to the other one from now on
        (persisted), unless the profile forces this wire or the other one refused too."""
        attempts.refused.append(refused)
        if self.profile.wire is not None or len(attempts.refused) > 1:
            raise operation_not_supported(deployment, model, tried=tuple(attempts.refused))
        target = other_wire(refused)
        lessons = self._lessons_for(deployment)
        self._save_lessons(deployment, replace(lessons, wire=target, model=lessons.model or model or None))
        runs = f" (it runs {model})" if model else ""
        log.info("deployment %s refused %s; switching to %s", deployment, refused, target)
        notes.append(
            f"deployment {deployment!r}{runs} answers only on {_API_NAMES[target]}; turns now go there"
        )

    def _retry_or_raise(self, exc: Exception, deployment: str, visible: bool) -> _Retry:
        """The retry a failed attempt allows, or the typed error that ends it."""
        if isinstance(exc, openai.APIStatusError):
            mapped = self._status_error(exc, deployment)
            if not retry_rules.is_retryable_status(exc.status_code):
                raise mapped from None
            message = str(_error_object(exc).get("message") or "")
            return _Retry(status=exc.status_code, headers=exc.response.headers, message=message, final=mapped)
        if isinstance(exc, IncompleteReply):
            if visible:
                raise exc
            return _Retry(status=None, headers=None, message=None, final=exc)
        endpoint = self.profile.endpoint
        if visible:
            raise NetworkError(
                f"The connection to Azure broke during the reply ({type(exc).__name__}); "
                "the partial reply was kept. Try again."
            ) from None
        if isinstance(exc, (openai.APITimeoutError, httpx2.TimeoutException)):
            error = NetworkError(
                f"The request to {endpoint} timed out ({type(exc).__name__}). Try again; a reasoning "
                'model that thinks long may need a larger "timeout" in the profile.'
            )
        else:
            error = NetworkError(
                f'The connection to {endpoint} failed ({type(exc).__name__}). Check "endpoint" '
                "and your network (proxy, VPN, firewall), then try again."
            )
        return _Retry(status=None, headers=None, message=None, final=error)

    def _delay_or_raise(self, retry: _Retry, deployment: str, attempts: _Attempts) -> float:
        """Seconds to wait before the next attempt, or the error that ends this deployment's turn."""
        attempts.failures += 1
        requested = retry_rules.server_delay(retry.headers or {}, retry.message)
        decision = retry_rules.decide(
            failures=attempts.failures,
            waited=attempts.waited,
            policy=self._retry,
            requested=requested,
            rand=self._random.random(),
        )
        if decision.delay is None:
            raise _exhausted(retry, deployment, decision.requested) from None
        log.info(
            "retrying %s in %.1f s after %s", deployment, decision.delay, retry.status or "connection error"
        )
        return decision.delay

    def _result(
        self, ending: WireEnding, wire: Wire, deployment: str, caps: ModelCapabilities, notes: list[str]
    ) -> ChatResult:
        """The ChatResult of a reply that ended, or the typed error its ending means (same on both wires)."""
        self._remember_model(ending.model, deployment, caps, notes)
        if ending.stop_reason == "filtered":
            raise ContentFilterError(ending.filtered, "completion", partial=ending.content)
        if ending.stop_reason == "failed":
            raise error_from_failed_response(ending.failure, deployment=deployment, partial=ending.content)
        if ending.stop_reason == "truncated" and not ending.content.strip() and not ending.tool_calls:
            raise ReasoningBudgetExhausted(ending.usage.completion_tokens)
        return ChatResult(
            content=ending.content,
            model=ending.model or caps.model,
            stop_reason=ending.stop_reason,
            usage=ending.usage,
            adaptations=self._fresh_notes(notes),
            reasoning=ending.reasoning,
            replay=ending.replay,
            tool_calls=ending.tool_calls,
            wire=wire,
            deployment=deployment,
            citations=ending.citations,
        )

    # ----- background runs -----------------------------------------------------------------------

    async def resume(self, handle: Mapping[str, Any]) -> AsyncGenerator[ChatEvent, None]:
        """Continue a background run (a RunStartedEvent's handle) after a restart: its events from the
        start (streamed again, or polled), ending with a ChatResult holding the full text."""
        response_id, deployment = self._run_from(handle)
        try:
            endpoint, _ = self._require_settings()
            sdk = self._sdk_client(endpoint)
            caps = self.capabilities_for(deployment)
            ending: WireEnding | None = None
            events = RESPONSES.resume(
                sdk, response_id, stream=handle.get("stream") is True, headers=self._headers()
            )
            async for event in paced(events, asyncio.get_running_loop().time()):
                if isinstance(event, WireEnding):
                    ending = event
                else:
                    yield event
            assert ending is not None, "a wire always ends with a WireEnding or an error"
            yield self._result(ending, "responses", deployment, caps, [])
        except openai.APIStatusError as exc:
            raise self._scrubbed(self._run_error(exc, response_id, deployment)) from None
        except (openai.APIConnectionError, httpx2.TransportError) as exc:
            raise NetworkError(
                f"The connection to {self.profile.endpoint} failed while resuming a background run "
                f"({type(exc).__name__}); it is still on Azure: try again."
            ) from None
        except AzureError as exc:
            raise self._scrubbed(exc) from None

    async def cancel_run(self, handle: Mapping[str, Any]) -> None:
        """Cancel a background run upstream (a user's Stop). A run already ended or gone is not an error."""
        response_id, deployment = self._run_from(handle)
        endpoint, _ = self._require_settings()
        sdk = self._sdk_client(endpoint)
        try:
            await RESPONSES.cancel(sdk, response_id, headers=self._headers())
        except openai.APIStatusError as exc:
            if exc.status_code in (400, 404, 409):
                log.info(
                    "background run %s not cancelled (%s): it has ended or is gone",
                    response_id,
                    exc.status_code,
                )
                return
            raise self._scrubbed(self._status_error(exc, deployment)) from None
        except (openai.APIConnectionError, httpx2.TransportError) as exc:
            raise NetworkError(
                f"Could not reach {self.profile.endpoint} to stop the background run ({type(exc).__name__})."
            ) from None

    def _run_from(self, handle: Mapping[str, Any]) -> tuple[str, str]:
        """The response id and deployment of a run handle this client can reach, or a ConfigurationError."""
        if not isinstance(handle, Mapping) or handle.get("wire") != "responses":
            raise ConfigurationError("Not a background-run handle of the Responses API.", key="handle")
        response_id, deployment = handle.get("response_id"), handle.get("deployment")
        if not isinstance(response_id, str) or not response_id or not isinstance(deployment, str):
            raise ConfigurationError(
                "The background-run handle lacks its response id or deployment.", key="handle"
            )
        endpoint = handle.get("endpoint")
        if endpoint not in (None, self._endpoint_key()):
            raise ConfigurationError(
                f"The background run belongs to another endpoint than profile {self.profile.name!r} "
                "uses now.",
                key="endpoint",
            )
        return response_id, deployment

    def _run_error(self, exc: openai.APIStatusError, response_id: str, deployment: str) -> AzureError:
        if exc.status_code == 404:
            return RunLost(
                f"The background run {response_id} is no longer on Azure (runs are kept 30 days, or it was "
                "deleted); ask again."
            )
        return self._status_error(exc, deployment)

    def _remember_model(self, model: str, deployment: str, caps: ModelCapabilities, notes: list[str]) -> None:
        lessons = self._lessons_for(deployment)
        if not model or lessons.model == model or caps.router:  # a router answers with many models
            return
        self._save_lessons(deployment, replace(lessons, model=model))
        now = self.capabilities_for(deployment)
        if now.family != caps.family:
            named = now.details.get("deploymentNameSuggests")
            despite = f" (not {named}, as its name suggests)" if named else ""
            notes.append(
                f"deployment {deployment!r} runs {model}{despite}; "
                f"its requests now follow {now.family}'s rules"
            )
        elif self.profile.model:
            reported = resolve_capabilities(observed_model=model, table=self._table).family
            if reported not in (now.family, UNKNOWN):
                notes.append(
                    f"deployment {deployment!r} runs {model}, but the profile says model "
                    f"{self.profile.model!r}; correct the profile's model setting "
                    f"(requests follow {now.family}'s rules until then)"
                )

    def _status_error(self, exc: openai.APIStatusError, deployment: str) -> AzureError:
        if exc.status_code == 410:
            caps = self.capabilities_for(deployment)
            return ModelRetired(retired_message(caps, deployment), deployment=deployment, code="410")
        return error_from_status(
            exc.status_code,
            _error_object(exc),
            deployment=deployment,
            endpoint=self.profile.endpoint or "",
            api_version=self.profile.api_version,
            auth_hint=auth_hint(self.profile),
        )

    def _scrubbed(self, exc: AzureError) -> AzureError:
        """Belt and braces: no secret survives into a message, even if Azure echoed one."""
        message = exc.user_message
        for secret in self._secrets:
            if secret and secret in message:
                message = message.replace(secret, "[redacted]")
        if message != exc.user_message:
            exc.user_message = message
            exc.args = (message,)
        return exc


_WIRES: dict[Wire, ChatWire] = {"chat": CHAT, "responses": RESPONSES}
_API_NAMES: dict[Wire, str] = {"chat": "Chat Completions", "responses": "the Responses API"}
_VISIBLE = (ContentEvent, ReasoningEvent, ToolCallEvent, RunStartedEvent)
"""Events after which an attempt cannot be silently retried elsewhere: the user saw them (or a run began)."""
_RETRYABLE = (openai.APIStatusError, openai.APIConnectionError, httpx2.TransportError, IncompleteReply)


@dataclass
class _Attempts:
    """One deployment's turn so far."""

    failures: int = 0
    waited: float = 0.0
    healed: set[str] = field(default_factory=set)
    refused: list[Wire] = field(default_factory=list)
    """Wires that answered OperationNotSupported."""
    emitted: bool = False
    """Something visible reached the consumer: no failover any more."""


def _error_object(exc: openai.APIStatusError) -> dict[str, Any]:
    """Azure's `error` object (the SDK already unwrapped it), or {} for a body that is not JSON."""
    return exc.body if isinstance(exc.body, dict) else {}


def _exhausted(retry: _Retry, deployment: str, requested: float | None) -> AzureError:
    if retry.status == 429:
        wait = f" Azure asked to wait {math.ceil(requested)} s." if requested is not None else ""
        return RateLimitExhausted(
            f"Azure rate-limited deployment {deployment!r}.{wait} Try again later, or raise the quota "
            "(https://aka.ms/oai/quotaincrease).",
            retry_after=requested,
        )
    return retry.final


def _wait_label(status: int | None) -> str:
    if status == 429:
        return "rate limited"
    if status is None:
        return "connection failed"
    return f"Azure error {status}"


async def _countdown(label: str, delay: float) -> AsyncIterator[StatusEvent]:
    """Status events once a second while waiting; cancelling the consumer cancels the wait."""
    remaining = delay
    while remaining > 0:
        yield StatusEvent(f"{label}, retrying in {math.ceil(remaining)} s")
        step = min(1.0, remaining)
        await asyncio.sleep(step)
        remaining -= step
