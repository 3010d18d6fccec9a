"""AzureChatClient: one chat turn against a profile, with healing, retries, failover and status events.

The flow per deployment: shape the request from the capabilities (table + lessons), send it, and
- on a 400 that names a parameter or value: learn the fix, persist it, send again (each subject once);
- on 408/409/429/5xx or a connection error before any content: wait (counting down in status events), retry;
- when the deployment is used up (rate limit, failures, not found): fail over to the next one.
Content is streamed as it arrives; a non-streaming model gets "thinking N s" status events meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable
from dataclasses import replace
from typing import Any, TypeVar

import httpx2
import openai

from chatls.azure import retry as retry_rules
from chatls.azure.auth import auth_hint, default_credential, entra_token_provider, resolve_api_key
from chatls.azure.capabilities import UNKNOWN, CapabilityTable, resolve_capabilities
from chatls.azure.endpoints import auth_headers_to_omit, make_sdk_client
from chatls.azure.errors import (
    AzureError,
    ConfigurationError,
    ContentFilterError,
    DeploymentNotFound,
    NetworkError,
    RateLimitExhausted,
    ReasoningBudgetExhausted,
    ServiceError,
    error_from_status,
)
from chatls.azure.healing import Lessons, apply_lessons, learn
from chatls.azure.profile import Profile
from chatls.azure.retry import RetryPolicy
from chatls.azure.shaping import ShapedRequest, shape_request
from chatls.azure.streaming import ReplyState
from chatls.azure.types import (
    ChatEvent,
    ChatOptions,
    ChatResult,
    ContentEvent,
    Conversation,
    LessonStore,
    ModelCapabilities,
    StatusEvent,
    Usage,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_HEALS_PER_CHAT = 4
"""A backstop only: each heal must fix a different subject, of which a payload has few."""
_FAILOVER = (RateLimitExhausted, ServiceError, NetworkError, DeploymentNotFound)
_HEARTBEAT = 1.0


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
    ) -> None:
        self.profile = profile
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
        return apply_lessons(caps, lessons)

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
        """Status and content events, ending with exactly one ChatResult (or an AzureError)."""
        try:
            async for event in self._chat(conversation, self._with_profile_defaults(options)):
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

    async def _chat(self, conversation: Conversation, options: ChatOptions) -> AsyncIterator[ChatEvent]:
        endpoint, deployments = self._require_settings()
        sdk = self._sdk_client(endpoint)
        notes: list[str] = []
        for index, deployment in enumerate(deployments):
            emitted = False
            try:
                async for event in self._chat_deployment(sdk, deployment, conversation, options, notes):
                    emitted = emitted or isinstance(event, ContentEvent)
                    if isinstance(event, ChatResult):
                        event = replace(event, adaptations=self._fresh_notes(notes))
                    yield event
                return
            except _FAILOVER as exc:
                if emitted or index + 1 == len(deployments):
                    raise
                following = deployments[index + 1]
                log.info("failing over from %s to %s: %s", deployment, following, exc.kind)
                notes.append(
                    f"deployment {deployment!r} unavailable ({exc.kind.replace('_', ' ')}); "
                    f"used {following!r}"
                )
                yield StatusEvent(f"{deployment} unavailable, trying {following}")

    def _fresh_notes(self, notes: list[str]) -> tuple[str, ...]:
        """Each note reaches the user once per client."""
        fresh = tuple(dict.fromkeys(note for note in notes if note not in self._reported))
        self._reported.update(fresh)
        return fresh

    async def _chat_deployment(
        self,
        sdk: openai.AsyncOpenAI,
        deployment: str,
        conversation: Conversation,
        options: ChatOptions,
        notes: list[str],
    ) -> AsyncIterator[ChatEvent]:
        failures, waited = 0, 0.0
        healed: set[str] = set()
        while True:
            caps = self.capabilities_for(deployment)
            shaped = shape_request(conversation, options, caps, self.profile.api_version, deployment)
            state = ReplyState()
            try:
                async for event in self._attempt(sdk, shaped, state, deployment):
                    yield event
            except openai.BadRequestError as exc:
                self._heal_or_raise(exc, shaped, caps, deployment, notes, healed)
                continue
            except _Retry as retry:
                failures += 1
                delay = self._delay_or_raise(retry, deployment, failures, waited)
                async for event in _countdown(_wait_label(retry.status), delay):
                    yield event
                waited += delay
                continue
            notes.extend(shaped.adaptations)
            yield self._finish(state, deployment, caps, notes)
            return

    def _heal_or_raise(
        self,
        exc: openai.BadRequestError,
        shaped: ShapedRequest,
        caps: ModelCapabilities,
        deployment: str,
        notes: list[str],
        healed: set[str],
    ) -> None:
        """Learn and store the one fix this 400 names, or raise it as a typed error.

        Each fix is retried once: a 400 about something this chat already fixed (the fix did not take)
        is raised, never healed again, so healing cannot loop.
        """
        healing = learn(_error_object(exc), shaped.payload, caps, self._lessons_for(deployment), deployment)
        if healing is None or healing.subject in healed or len(healed) >= MAX_HEALS_PER_CHAT:
            raise self._status_error(exc, deployment) from None
        healed.add(healing.subject)
        log.info("self-healing %s: %s", deployment, healing.note)
        self._save_lessons(deployment, healing.lessons)
        notes.append(healing.note)

    def _delay_or_raise(self, retry: _Retry, deployment: str, failures: int, waited: float) -> float:
        """Seconds to wait before the next attempt, or the error that ends this deployment's turn."""
        requested = retry_rules.server_delay(retry.headers or {}, retry.message)
        decision = retry_rules.decide(
            failures=failures,
            waited=waited,
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

    async def _attempt(
        self,
        sdk: openai.AsyncOpenAI,
        shaped: ShapedRequest,
        state: ReplyState,
        deployment: str,
    ) -> AsyncIterator[ChatEvent]:
        """One request; retryable failures before any content become _Retry."""
        try:
            if shaped.stream:
                async for event in self._stream(sdk, shaped, state):
                    yield event
            else:
                async for event in self._complete(sdk, shaped, state):
                    yield event
        except openai.BadRequestError:
            raise
        except openai.APIStatusError as exc:
            mapped = self._status_error(exc, deployment)
            if not retry_rules.is_retryable_status(exc.status_code):
                raise mapped from None
            message = _error_object(exc).get("message")
            raise _Retry(
                status=exc.status_code, headers=exc.response.headers, message=str(message or ""), final=mapped
            ) from None
        except (openai.APIConnectionError, httpx2.TransportError) as exc:
            endpoint = self.profile.endpoint
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
            if state.parts:
                error = NetworkError(
                    f"The connection to Azure broke during the reply ({type(exc).__name__}); "
                    "the partial reply was kept. Try again."
                )
                raise error from None
            raise _Retry(status=None, headers=None, message=None, final=error) from None

    def _request_kwargs(self, shaped: ShapedRequest) -> dict[str, Any]:
        payload = dict(shaped.payload)
        kwargs: dict[str, Any] = {
            "model": payload.pop("model"),
            "messages": payload.pop("messages"),
            "stream": payload.pop("stream"),
        }
        if payload:
            kwargs["extra_body"] = payload  # passed as is: the SDK's types lag Azure (verbosity, "minimal")
        omit = auth_headers_to_omit(self.profile)
        if omit:
            kwargs["extra_headers"] = omit
        return kwargs

    async def _stream(
        self, sdk: openai.AsyncOpenAI, shaped: ShapedRequest, state: ReplyState
    ) -> AsyncIterator[ChatEvent]:
        started = asyncio.get_running_loop().time()
        box: list[Any] = []
        async for event in _with_heartbeat(
            sdk.chat.completions.create(**self._request_kwargs(shaped)), box, started
        ):
            yield event
        stream = box[0]
        try:
            chunks = stream.__aiter__()
            while True:
                if state.parts:
                    chunk = await anext(chunks, None)
                else:  # a reasoning model thinks before its first token: keep the user informed
                    box.clear()
                    async for event in _with_heartbeat(anext(chunks, None), box, started):
                        yield event
                    chunk = box[0]
                if chunk is None:
                    break
                text = state.add_chunk(chunk)
                if text:
                    yield ContentEvent(text)
        finally:
            await stream.close()

    async def _complete(
        self, sdk: openai.AsyncOpenAI, shaped: ShapedRequest, state: ReplyState
    ) -> AsyncIterator[ChatEvent]:
        box: list[Any] = []
        started = asyncio.get_running_loop().time()
        async for event in _with_heartbeat(
            sdk.chat.completions.create(**self._request_kwargs(shaped)), box, started
        ):
            yield event
        text = state.add_completion(box[0])
        if text:
            yield ContentEvent(text)

    def _finish(
        self, state: ReplyState, deployment: str, caps: ModelCapabilities, notes: list[str]
    ) -> ChatResult:
        self._remember_model(state.model, deployment, caps, notes)
        usage = state.usage or Usage()
        if state.finish_reason == "content_filter":
            raise ContentFilterError(state.filtered, "completion", partial=state.content)
        if state.finish_reason == "length" and not state.content.strip():
            raise ReasoningBudgetExhausted(usage.completion_tokens)
        return ChatResult(
            content=state.content,
            model=state.model or caps.model,
            stop_reason="truncated" if state.finish_reason == "length" else "complete",
            usage=usage,
            deployment=deployment,
        )

    def _remember_model(self, model: str, deployment: str, caps: ModelCapabilities, notes: list[str]) -> None:
        lessons = self._lessons_for(deployment)
        if not model or lessons.model == model or caps.router:
            return  # a router reports whichever model it picked: shown per reply, never a lesson
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


async def _with_heartbeat(
    awaitable: Awaitable[T], box: list[Any], started: float
) -> AsyncIterator[StatusEvent]:
    """Await `awaitable` (result appended to `box`), yielding "thinking N s" about once a second."""
    task = asyncio.ensure_future(awaitable)
    loop = asyncio.get_running_loop()
    try:
        while True:
            elapsed = loop.time() - started
            timeout = _HEARTBEAT - (elapsed % _HEARTBEAT)
            done, _ = await asyncio.wait((task,), timeout=timeout)
            if done:
                box.append(task.result())
                return
            yield StatusEvent(f"thinking {round(loop.time() - started)} s")
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
