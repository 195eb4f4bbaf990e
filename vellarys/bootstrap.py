"""The one wiring point: settings -> database, engine, sessions and adapters."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from vellarys.adapters.embeddings import build_embedder, indexing_twin
from vellarys.adapters.embeddings.cache import CachedEmbedder
from vellarys.adapters.llm.openai_compatible import OpenAICompatibleChat
from vellarys.adapters.mail import SmtpMailer
from vellarys.adapters.outbound import GuardedTransport
from vellarys.adapters.pdf import PdfReader
from vellarys.adapters.speech.local_whisper import LocalWhisper
from vellarys.adapters.speech.openai_compatible import OpenAICompatibleTranscriber
from vellarys.adapters.vision.rapid_ocr import RapidTextReader
from vellarys.adapters.whatsapp import build_provider, spec_of
from vellarys.config import Settings
from vellarys.db.availability import ConnectBreaker
from vellarys.db.direct import DirectPool
from vellarys.db.embedded import start_embedded
from vellarys.db.engine import PoolConfig, create_engine, create_sessionmaker
from vellarys.db.feed import MessageFeed
from vellarys.db.url import libpq_url
from vellarys.domain import password
from vellarys.domain.clock import SystemClock
from vellarys.domain.llm import ChatModel
from vellarys.domain.ports import ChannelKeys, Clock, Embedder, Transcriber, WhatsAppProvider
from vellarys.domain.secretbox import open_sealed
from vellarys.services.channel import open_credentials
from vellarys.services.channel_cache import ChannelCache
from vellarys.services.deps import PipelineDeps, PipelineSettings
from vellarys.telemetry import metrics


def resolve_database_url(settings: Settings, *, keep_running: bool = False) -> str:
    """The configured URL, or the embedded server's (started or joined) when none is set."""
    if settings.database_url:
        return settings.database_url
    return start_embedded(settings.data_dir, keep_running=keep_running)


def pool_config(settings: Settings) -> PoolConfig:
    return PoolConfig(
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_recycle=settings.db_pool_recycle,
        statement_timeout_ms=settings.statement_timeout_ms,
        application_name=settings.application_name,
        connect_timeout=settings.db_connect_timeout,
    )


def probe_pool_config(settings: Settings) -> PoolConfig:
    """One connection, for the health probe alone."""
    base = pool_config(settings)
    return replace(
        base, pool_size=1, max_overflow=0, application_name=f"{base.application_name}_health"
    )


def pipeline_settings(settings: Settings) -> PipelineSettings:
    return PipelineSettings(
        debounce_seconds=settings.debounce_seconds,
        stale_after_seconds=settings.stale_after_seconds,
        send_max_attempts=settings.send_max_attempts,
        send_retry_base_seconds=settings.send_retry_base_seconds,
        send_pace_seconds=settings.send_pace_seconds,
        llm_daily_token_budget=settings.llm_daily_token_budget,
        llm_lead_daily_tokens=settings.llm_lead_daily_tokens,
        summary_every=settings.summary_every,
        lead_messages_per_minute=settings.lead_messages_per_minute,
        agency_messages_per_minute=settings.agency_messages_per_minute,
        inbound_text_max_chars=settings.inbound_text_max_chars,
        media_max_bytes=settings.media_max_bytes,
        media_timeout_seconds=settings.media_timeout_seconds,
        media_retention_days=settings.media_retention_days,
    )


def build_transcriber(settings: Settings, http: httpx.AsyncClient) -> Transcriber:
    """An OpenAI-compatible endpoint when configured, else Whisper base on this machine."""
    if settings.transcription_base_url:
        key = settings.transcription_api_key
        return OpenAICompatibleTranscriber(
            base_url=settings.transcription_base_url,
            model=settings.transcription_model,
            api_key=key.get_secret_value() if key else None,
            http=http,
            timeout_seconds=settings.transcription_timeout_seconds,
        )
    return LocalWhisper(
        model_dir=settings.data_dir / "models" / "whisper-base",
        timeout_seconds=settings.transcription_timeout_seconds,
    )


def chat_model_factory(
    settings: Settings, http: httpx.AsyncClient, guarded_http: httpx.AsyncClient
) -> Callable[[Mapping[str, Any]], ChatModel | None]:
    """Per-tenant LLM settings (key stored sealed) win over the deployment's; None = offline.
    An agency's own endpoint is reached through ``guarded_http`` (no internal addresses)."""

    def chat_for(tenant_settings: Mapping[str, Any]) -> ChatModel | None:
        own = tenant_settings.get("llm") or {}
        if own.get("base_url") and own.get("model"):
            sealed = own.get("api_key") or ""
            key = open_sealed(sealed, secret_key=settings.resolved_secret_key) if sealed else None
            return OpenAICompatibleChat(
                base_url=own["base_url"],
                api_key=key,
                model=own["model"],
                http=guarded_http,
                timeout_seconds=settings.llm_timeout_seconds,
            )
        if settings.llm_base_url and settings.llm_model:
            key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
            return OpenAICompatibleChat(
                base_url=settings.llm_base_url,
                api_key=key,
                model=settings.llm_model,
                http=http,
                timeout_seconds=settings.llm_timeout_seconds,
            )
        return None

    return chat_for


@dataclass
class Container:
    """Everything an entry point needs, built once per process."""

    settings: Settings
    database_url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    http: httpx.AsyncClient
    pipeline: PipelineDeps
    # For addresses agency admins typed: private networks refused unless allowed.
    guarded_http: httpx.AsyncClient | None = None
    clock: Clock = field(default_factory=SystemClock)
    started_at: float = field(default_factory=time.monotonic)
    pdf: PdfReader = field(default_factory=PdfReader)
    # Indexing jobs embed with this one (see adapters.embeddings.indexing_twin).
    indexing: Embedder | None = None
    # /health's own connection: a liveness probe must not queue for the pool behind a
    # backlog of webhooks (after an outage it waited 18-55 s there), only for the database.
    probe_engine: AsyncEngine | None = None
    probe_sessions: async_sessionmaker[AsyncSession] | None = None
    # Wakes the inbox's live feeds on message writes (LISTEN/NOTIFY); None: they poll.
    feed: MessageFeed | None = None
    # Fails new connections fast while the database is known to be away (db.availability).
    breaker: ConnectBreaker = field(default_factory=ConnectBreaker)
    # The webhook ack path's channels (see services.channel_cache) and its pool.
    channel_cache: ChannelCache = field(default_factory=ChannelCache)
    _ack_pool: DirectPool | None = None

    @property
    def ack_pool(self) -> DirectPool:
        """The ack path's asyncpg pool, opened on first use. It follows ``engine``: an
        engine replaced (tests do, to take the database away) gets a pool of its own."""
        if self._ack_pool is None or self._ack_pool.engine is not self.engine:
            self._ack_pool = DirectPool(
                self.engine,
                self.pool,
                max_size=self.settings.db_ack_pool_size,
                breaker=self.breaker,
            )
        return self._ack_pool

    @property
    def embedder(self) -> Embedder:
        assert self.pipeline.embedder is not None
        return self.pipeline.embedder

    @property
    def index_embedder(self) -> Embedder:
        """For bulk indexing: never the engine that answers leads' queries, when local."""
        return self.indexing or self.embedder

    @property
    def pool(self) -> PoolConfig:
        return pool_config(self.settings)

    @property
    def mailer(self) -> SmtpMailer | None:
        """SMTP when ``VELLARYS_SMTP_URL`` is set; None keeps e-mails in the outbox."""
        url = self.settings.smtp_url
        if url is None:
            return None
        return SmtpMailer.from_url(url.get_secret_value(), self.settings.mail_from)

    async def aclose(self) -> None:
        if self.feed is not None:
            await self.feed.aclose()
        if self._ack_pool is not None:
            await self._ack_pool.aclose()
        await self.http.aclose()
        if self.guarded_http is not None:
            await self.guarded_http.aclose()
        await self.engine.dispose()
        if self.probe_engine is not None:
            await self.probe_engine.dispose()


def build(settings: Settings, *, database_url: str | None = None) -> Container:
    url = database_url or resolve_database_url(settings)
    password.configure(
        time_cost=settings.password_hash_time_cost, memory_kib=settings.password_hash_memory_kib
    )
    breaker = ConnectBreaker(cooldown=settings.db_retry_seconds)
    engine = create_engine(url, pool_config(settings), breaker=breaker)
    probe = create_engine(url, probe_pool_config(settings), probe=True)
    http = httpx.AsyncClient(timeout=settings.provider_timeout_seconds)
    guarded_http = httpx.AsyncClient(
        timeout=settings.provider_timeout_seconds,
        transport=GuardedTransport(allow_private=settings.private_urls_allowed),
    )
    embedder = build_embedder(
        provider=settings.embedding_provider,
        base_url=settings.embedding_base_url,
        api_key=settings.embedding_api_key.get_secret_value()
        if settings.embedding_api_key
        else None,
        model=settings.embedding_model,
        dimension=settings.embedding_dim,
    )

    def provider_for(channel: ChannelKeys) -> WhatsAppProvider:
        # A provider whose address the agency typed goes through the guarded client.
        tenant_urls = bool(spec_of(channel.provider).url_keys)
        return build_provider(
            channel.provider,
            identity=channel.identity,
            credentials=open_credentials(channel, settings.resolved_secret_key),
            http=guarded_http if tenant_urls else http,
            meta_graph_url=settings.meta_graph_url,
        )

    return Container(
        settings=settings,
        database_url=url,
        engine=engine,
        sessions=create_sessionmaker(engine),
        http=http,
        guarded_http=guarded_http,
        pipeline=PipelineDeps(
            provider_for=provider_for,
            settings=pipeline_settings(settings),
            embedder=CachedEmbedder(embedder),
            chat_for=chat_model_factory(settings, http, guarded_http),
            transcriber=build_transcriber(settings, http),
            text_reader=RapidTextReader(timeout_seconds=settings.ocr_timeout_seconds),
            observe_llm=metrics.observe_llm,
        ),
        pdf=PdfReader(workers=settings.pdf_workers, timeout_seconds=settings.pdf_timeout_seconds),
        indexing=indexing_twin(embedder),
        probe_engine=probe,
        probe_sessions=create_sessionmaker(probe),
        feed=MessageFeed(libpq_url(url)),
        breaker=breaker,
    )
