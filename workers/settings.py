"""The one place for configuration: every setting is an environment variable (`LEADMEM_*`).

Defaults work on a development machine of this project with no configuration at all: local
Postgres (trust auth) and Redis, and the Apache Kafka broker that `leadmem dev` starts when no
broker address is configured. Settings are built in the composition root, never at import time.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

KafkaSecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
KafkaSaslMechanism = Literal["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"]

WORKER_PORTS: dict[str, int] = {
    "ingestion": 9101,
    "memory": 9102,
    "learning": 9103,
    "responder": 9104,
    "outbound": 9105,
    "metrics": 9106,
    "receiver": 9107,  # also serves POST /webhooks/ghl (workers/receiver)
    "listings": 9108,  # the RESO feeds' periodic sync (workers/listings)
}


class Settings(BaseSettings):
    """Deployment settings. See README "Configuration" for the table of variables."""

    model_config = SettingsConfigDict(env_prefix="LEADMEM_", frozen=True, extra="ignore")

    # Kafka
    kafka_bootstrap: str | None = Field(
        default=None,
        description="Broker address; unset = the local dev broker on dev_broker_port.",
    )
    broker_wait_s: float = Field(
        default=120.0, ge=0,
        description="How long a starting worker waits for the broker to answer before it "
        "exits (its supervisor restarts it): a broker restart is not a worker crash.",
    )
    topic_partitions: int = Field(default=6, ge=1, description="Partitions per created topic.")
    topic_replication: int = Field(default=1, ge=1)
    dev_broker_port: int = Field(
        default=19092, description="Port of `leadmem dev`'s Kafka broker (its controller: +1)."
    )
    consumer_group_prefix: str = Field(default="leadmem", description="Prefix of group ids.")
    batch_max_records: int = Field(default=200, ge=1, description="Records per consumed batch.")
    batch_timeout_ms: int = Field(
        default=500, ge=1,
        description="How long an idle consumer's poll waits for records before it polls "
        "again. Records are handed over as soon as they arrive (see runtime/host.py "
        "return_on_arrival), so this costs no latency; it sets how often an idle worker "
        "wakes up.",
    )
    group_concurrency: int = Field(
        default=8, ge=1,
        description="Tenant groups of a batch handled at once (each holds at most one pooled "
        "Postgres connection; keep it below db_pool_max).",
    )
    fetch_max_wait_ms: int = Field(
        default=500, ge=0,
        description="How long the broker may hold a fetch that found no data. Apache Kafka "
        "answers as soon as a record arrives, so this costs no latency; it only sets how "
        "often an idle consumer asks (see docs/performance.md, round 4).",
    )

    commit_interval_ms: int = Field(
        default=1_000, ge=1,
        description="How long a handled record's offset may wait to be committed "
        "(runtime/offsets.py). Every consumer is idempotent per event, so a crash only "
        "redelivers what was handled since the last commit; committing after every batch "
        "cost an OffsetCommit round trip per record at low rates.",
    )
    commit_max_records: int = Field(
        default=1_000, ge=1,
        description="Handled records after which their offsets are committed at once.",
    )
    producer_linger_ms: int = Field(
        default=0, ge=0,
        description="How long the producer waits to fill a batch before sending it. Handlers "
        "queue a batch's publishes before flushing, and records queued while a request is in "
        "flight travel together anyway, so waiting only delays a lone record (a 2 ms linger "
        "added ~2 ms to every hop at low load).",
    )
    session_timeout_ms: int = Field(
        default=6_000, ge=1,
        description="Consumer group session timeout: how long the broker waits for a silent "
        "member before giving its partitions to others. A killed worker's partitions stay "
        "unread this long; 6 s is Apache Kafka's group.min.session.timeout.ms.",
    )
    heartbeat_interval_ms: int = Field(
        default=2_000, ge=1, description="Consumer heartbeat; a third of the session timeout."
    )

    # Kafka security, for every client of the deployment (workers, receiver, CLI): turned into
    # client arguments in one place, workers/runtime/kafka_access.py. docs/operations.md,
    # "Managed Kafka (TLS, SASL)".
    kafka_security_protocol: KafkaSecurityProtocol = Field(
        default="PLAINTEXT",
        description="PLAINTEXT (the dev broker), SSL (TLS), SASL_SSL (TLS and a user: managed "
        "Kafka) or SASL_PLAINTEXT (a user over a trusted network only).",
    )
    kafka_sasl_mechanism: KafkaSaslMechanism | None = Field(
        default=None,
        description="With SASL_*: SCRAM-SHA-512 or SCRAM-SHA-256 (MSK, Aiven, self-run "
        "Kafka), PLAIN (Confluent Cloud's API keys; only over SASL_SSL in production).",
    )
    kafka_sasl_username: str | None = Field(
        default=None, description="With SASL_*: the user (Confluent Cloud: the API key).")
    kafka_sasl_password: SecretStr | None = Field(
        default=None, description="With SASL_*: its password (Confluent Cloud: the API secret).")
    kafka_ssl_cafile: str | None = Field(
        default=None,
        description="With SSL or SASL_SSL: PEM file of the CA(s) that signed the brokers' "
        "certificates (Aiven's project CA, a private CA); unset: the system's CAs (Confluent "
        "Cloud, MSK).",
    )
    kafka_ssl_certfile: str | None = Field(
        default=None,
        description="With SSL or SASL_SSL: PEM file of this client's certificate chain, for "
        "brokers that authenticate clients by certificate (mutual TLS, Aiven's default).",
    )
    kafka_ssl_keyfile: str | None = Field(
        default=None, description="PEM file of that certificate's private key (unset: it is "
        "in kafka_ssl_certfile).")
    kafka_ssl_key_password: SecretStr | None = Field(
        default=None, description="Password of an encrypted private key.")
    kafka_ssl_check_hostname: bool = Field(
        default=True,
        description="Check that a broker's certificate names the host connected to. Turn off "
        "only for brokers reached by an address their certificate does not name.",
    )

    # Postgres
    database_url: str = Field(
        default="postgresql://leadmem_app@127.0.0.1:5432/leadmem",
        description="Workers' connection: the non-owner role under row-level security.",
    )
    admin_database_url: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/leadmem",
        description="Migrations' connection (a superuser or BYPASSRLS role); also the admin "
        "CLI's cross-tenant connection.",
    )
    db_pool_min: int = Field(default=1, ge=0)
    db_pool_max: int = Field(default=10, ge=1)
    app_role: str = Field(default="leadmem_app", description="Role the workers log in as.")
    owner_role: str = Field(default="leadmem_owner", description="Role owning the schema.")
    app_role_password: SecretStr | None = Field(default=None, description="Set in production.")

    # Redis
    redis_url: str = Field(default="redis://127.0.0.1:6379/0")
    context_ttl_s: int = Field(default=7 * 24 * 3600, description="TTL of a lead's context.")

    # Ingestion
    ghl_ed25519_public_key: str | None = Field(
        default=None,
        description="PEM (or base64 raw) key for X-GHL-Signature; unset: HighLevel's "
        "published key (workers/ingestion/ghl_keys.py). Every delivery is verified: an "
        "unsigned one passes only through a tenant's workflow webhook URL.",
    )
    ghl_rsa_public_key: str | None = Field(
        default=None,
        description="PEM key for the legacy x-wh-signature; unset: HighLevel's published key.",
    )
    workflow_webhook_key: SecretStr | None = Field(
        default=None,
        description="Secret (32+ characters) deriving each tenant's workflow webhook URL "
        "(`leadmem tenant webhook-url ID`; GHL workflow webhooks are unsigned) and the "
        "binding ingestion checks. Set the same value on the receiver and ingestion; "
        "changing it changes every URL. Unset: the workflow route is not served.",
    )
    public_url: str | None = Field(
        default=None,
        description="The receiver's public base URL (what GHL posts to, e.g. "
        "https://hooks.example.com), for the URLs `leadmem tenant webhook-url` prints.",
    )
    max_event_age_s: int = Field(
        default=4200,
        description="Reject a webhook whose `timestamp` is older than this when it reached us "
        "(a replay). GHL retries a delivery answered 429 up to 6 times about 10 minutes "
        "apart, with its original timestamp: the window covers that hour, or an outage the "
        "receiver answered with 429 would lose the retries. Duplicates are caught by "
        "`webhookId` whatever the window.")
    max_clock_skew_s: int = Field(default=300, description="Reject `timestamp`s this far ahead.")
    max_body_bytes: int = Field(default=1_000_000, description="Larger bodies are dead-lettered.")

    # Webhook receiver (`leadmem run receiver`; GHL retries a delivery only on 429)
    receiver_produce_timeout_s: float = Field(
        default=5.0, gt=0,
        description="How long a webhook waits for the broker to acknowledge its record "
        "(acks=all) before the receiver answers 429, which GHL retries: a broker outage or "
        "stall loses no delivery.",
    )
    receiver_read_timeout_s: float = Field(
        default=10.0, gt=0,
        description="How long reading one request body may take; a slower upload is answered "
        "429 and its slot freed, so slow clients cannot hold the receiver.",
    )
    receiver_max_in_flight: int = Field(
        default=256, ge=1,
        description="Requests one receiver handles at once; more are answered 429 at once. "
        "Bounds its memory (at most this many bodies of max_body_bytes) under a flood.",
    )
    receiver_header_timeout_s: float = Field(
        default=10.0, gt=0,
        description="How long a connection may take to send a request's headers (from its "
        "first byte, or from the connection's opening); then it is closed, so slow clients "
        "(slowloris) cannot hold connections.",
    )
    receiver_idle_timeout_s: float = Field(
        default=75.0, gt=0,
        description="How long a keep-alive connection may stay idle between requests before "
        "it is closed (keep it above a load balancer's idle timeout, e.g. 60 s).",
    )
    receiver_max_connections: int = Field(
        default=512, ge=1,
        description="Open connections one receiver keeps. Over it, a new connection first "
        "sheds the longest idle or slowest header-sending one; when every connection is "
        "handling a request it is answered 429 and closed. Keep it below the process's "
        "open-files limit (ulimit -n).",
    )

    # Failure handling
    max_attempts: int = Field(default=4, ge=1, description="Attempts before dead-lettering.")
    retry_backoff_s: float = Field(default=0.2, ge=0, description="First backoff; doubles.")
    retry_backoff_max_s: float = Field(default=5.0, ge=0)

    # Claude
    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str | None = None
    claude_model: str = "claude-sonnet-4-6"
    claude_max_tokens: int = 300
    claude_timeout_s: float = Field(default=20.0, description="One attempt.")
    claude_max_attempts: int = Field(default=3, ge=1, description="HTTP attempts per call.")
    claude_backoff_s: float = Field(default=0.5, ge=0)
    claude_backoff_max_s: float = Field(default=8.0, ge=0)
    claude_deadline_s: float = Field(default=45.0, gt=0, description="Whole call, retries in.")
    claude_breaker_failures: int = Field(
        default=5, ge=1, description="Failed calls that open a tenant's circuit breaker."
    )
    claude_breaker_reset_s: float = Field(default=30.0, gt=0)
    learning_claude_extraction: bool = Field(
        default=False,
        description="Learning also asks Claude (tenants with Claude configured) for the profile.",
    )
    master_key: SecretStr | None = Field(
        default=None, description="Fernet key encrypting tenants' API keys at rest."
    )
    consent_hash_key: SecretStr | None = Field(
        default=None,
        description="HMAC key of the consent ledger's address hashes (a forgotten contact's "
        "phone and email are kept only so). Set it in production and never change it: the "
        "same phone must hash the same way after a restart. Unset: a development key.",
    )

    # GHL outbound
    ghl_base_url: str = "https://services.leadconnectorhq.com"
    ghl_token: SecretStr | None = Field(
        default=None,
        description="No longer used: a token is only used for its own location, so the "
        "outbound worker refuses to start while LEADMEM_GHL_TOKEN is set (name its location "
        "in LEADMEM_GHL_TOKENS instead).",
    )
    ghl_tokens: dict[str, SecretStr] = Field(
        default_factory=dict,
        description='Access tokens per location, JSON {"locationId": "token"}.',
    )
    ghl_oauth_client_id: str | None = Field(
        default=None, description="OAuth client id; with refresh tokens, tokens are refreshed."
    )
    ghl_oauth_client_secret: SecretStr | None = None
    ghl_oauth_redirect_uri: str | None = Field(
        default=None,
        description="The Marketplace app's redirect URI: the receiver's GET /oauth/callback "
        "as GHL reaches it, e.g. https://receiver.example.com/oauth/callback (registered "
        "with the app; `leadmem app install-url` puts it in the install link).",
    )
    ghl_refresh_tokens: dict[str, SecretStr] = Field(
        default_factory=dict, description='OAuth refresh tokens, JSON {"locationId": "token"}.'
    )
    outbound_rate_limit: int = Field(
        default=100, ge=1, description="Requests per location per interval (GHL burst limit)."
    )
    outbound_rate_interval_s: float = Field(default=10.0, gt=0)
    outbound_daily_limit: int = Field(
        default=200_000, ge=1, description="Requests per location per UTC day (GHL's daily "
        "budget), counted in Redis for every replica; GHL's own count corrects it.")
    outbound_rate_limit_fallback_replicas: int = Field(
        default=4, ge=1, description="While Redis does not answer, each outbound replica "
        "keeps to LEADMEM_OUTBOUND_RATE_LIMIT divided by this (set it to the replicas run).")
    outbound_max_attempts: int = Field(
        default=5, ge=1, description="HTTP attempts per send before the DLQ boundary's turn."
    )
    outbound_backoff_s: float = Field(default=0.5, ge=0, description="First 5xx backoff.")
    outbound_backoff_max_s: float = Field(default=8.0, ge=0)
    outbound_max_wait_s: float = Field(
        default=30.0, ge=0, description="Cap on one wait GHL asks for (Retry-After / 429)."
    )
    outbound_timeout_s: float = Field(
        default=15.0, gt=0, description="One GHL request; a timeout after sending is not retried."
    )
    outbound_scheduler_interval_s: float = Field(
        default=5.0, gt=0, description="How often held (quiet-hours) replies are checked."
    )
    outbound_scheduler_batch: int = Field(default=200, ge=1)
    timer_interval_s: float = Field(
        default=1.0, gt=0, description="How often the responder looks for due timers (first "
        "touch: speed to lead).")
    timer_lease_s: float = Field(
        default=120.0, gt=0, description="A claimed timer not done after this long (its "
        "replica died) is fired again; longer than a draft (the Claude deadline).")
    timer_batch: int = Field(default=50, ge=1, description="Due timers fired per scan.")

    # The agency's own listings, replicated from its MLS over the RESO Web API by the
    # listings worker (workers/listings; `leadmem tenant config ID --reso-url ...`).
    listings_sync_interval_s: float = Field(
        default=900.0, ge=0,
        description="How long after a tenant's last feed sync the listings worker syncs it "
        "again (pages of what changed since the watermark); 0 turns the periodic sync off "
        "(`leadmem listings sync ID` still runs one).")
    listings_reconcile_interval_s: float = Field(
        default=86_400.0, gt=0,
        description="How often a feed's key reconciliation runs (every key the feed has: "
        "rows it dropped are deleted, first photos refreshed), with a sync.")
    listings_sync_lease_s: float = Field(
        default=600.0, gt=0,
        description="A sync holds its tenant's feed this long after its last committed page; "
        "a claim older than this is a dead sync's and another may take the feed over.")
    listings_sync_concurrency: int = Field(
        default=4, ge=1, description="Tenants' feeds the listings worker syncs at once.")
    listings_http_timeout_s: float = Field(
        default=60.0, gt=0, description="Timeout of one RESO Web API request.")
    listings_max_retry_after_s: float = Field(
        default=120.0, ge=0,
        description="The longest Retry-After of a 429 a sync waits out; a longer one stops "
        "the sync (rate_limited), and the next resumes where it stopped.")
    crm_note_interval_s: float = Field(
        default=600.0, ge=0,
        description="The living CRM note of a lead is updated at most once per this many "
                    "seconds (a hand-off updates it at once).")
    reply_max_age_s: float = Field(
        default=3600.0, gt=0,
        description="A reply not sent within this many seconds of becoming due (drafted, or "
                    "its quiet hours over) is stale: it is not sent, and the agent is told.")

    # Metrics worker
    metrics_tenant_labels: int = Field(
        default=50, ge=0, description="Tenants named in the `tenant` label; the rest: other."
    )
    metrics_rerank_s: float = Field(default=300.0, gt=0, description="Re-rank busiest tenants.")
    metrics_lag_interval_s: float = Field(default=15.0, gt=0, description="Lag probe period.")
    metrics_funnel_interval_s: float = Field(
        default=300.0, ge=0,
        description="How often the metrics worker recomputes the lead funnel (last 7 days) of "
                    "each tenant it names in labels, from Postgres (first 60 s after it "
                    "starts); 0 turns that off (`leadmem report` still reads it).")

    # Retention (docs/operations.md "Retention"): `leadmem prune`, and the metrics worker
    # every retention_interval_s. A window must outlast every way a row's event can come
    # back: the topics' retention bounds both a DLQ replay and a re-read of a topic (they are
    # created with Kafka's default, 7 days; raise these with it).
    retention_webhook_receipts_days: int = Field(
        default=14, ge=1,
        description="Days a delivery's dedupe claim (webhook_receipts) is kept, so a duplicate "
        "delivery is still recognised. A GHL retry older than max_event_age_s (70 min) is "
        "rejected as stale anyway; what comes back later is a `leadmem dlq replay` or a re-read "
        "of ghl.events, bounded by the topics' 7 days. 14 days is twice that.")
    retention_processed_events_days: int = Field(
        default=14, ge=1,
        description="Days a consumer's record of an event (processed_events) is kept, so a "
        "redelivered or replayed event re-publishes its first result instead of taking effect "
        "again: redeliveries come within minutes, replays and topic re-reads within the "
        "topics' 7 days. 14 days is twice that.")
    retention_dlq_replays_days: int = Field(
        default=30, ge=1,
        description="Days the record of a DLQ replay (dlq_replays) is kept, so replaying the "
        "same dead letter again re-sends nothing while it is on pipeline.dlq (7 days); kept "
        "longer as the operators' audit trail (a row per replayed dead letter: small).")
    retention_interval_s: float = Field(
        default=3600.0, ge=0,
        description="How often the metrics worker prunes (first 60 s after it starts); 0 "
        "turns that off (then run `leadmem prune` from cron).")
    retention_batch_rows: int = Field(
        default=1000, ge=1, le=100_000,
        description="Rows one prune statement deletes: each batch is a short statement of its "
        "own, so writers never wait long behind it (docs/performance.md, Retention).")
    retention_batch_pause_s: float = Field(
        default=0.02, ge=0,
        description="Pause between two batches, leaving the disk to the workers: deleting "
        "writes WAL (~300 bytes a row) that their commits wait to flush behind. With 0.02 s "
        "a prune deletes ~32,000 rows/s (~10 MB/s of WAL), with 0 100,000-200,000 rows/s "
        "(~56 MB/s); docs/performance.md, Retention.")
    uninstall_purge_days: int = Field(
        default=30, ge=1,
        description="Days after a location uninstalls the app (UNINSTALL webhook) before "
        "retention deletes its data (contacts, messages, profiles, facts, replies, CRM rows, "
        "listings, settings...); its consent ledger is kept (detached from contacts, with "
        "the keyed hashes of their addresses), so a reinstall still suppresses opted-out "
        "leads. A reinstall within the window keeps everything.")

    # The admin console (`leadmem run console`, workers/console; docs/operations.md "Console")
    console_port: int = Field(
        default=9110, ge=0, le=65535,
        description="Port of the admin console's pages (beside its /health and /metrics).")
    console_public_url: str | None = Field(
        default=None,
        description="The console's public base URL as people open it (e.g. "
        "https://console.example.com): with https, its cookies are Secure (also when a "
        "TLS-terminating proxy forwards plain HTTP to it).")
    console_session_ttl_s: float = Field(
        default=8 * 3600.0, gt=0,
        description="A console session ends this long after its login, however active.")
    console_session_idle_s: float = Field(
        default=30 * 60.0, gt=0,
        description="A console session unused this long ends (log in again).")
    console_login_max_failures: int = Field(
        default=5, ge=1,
        description="Failed logins of one account within console_login_window_s before its "
        "logins are refused until the window passes (counted in Redis).")
    console_login_max_failures_ip: int = Field(
        default=20, ge=1,
        description="Failed logins from one address within console_login_window_s before "
        "its logins are refused until the window passes (counted in Redis).")
    console_login_window_s: float = Field(
        default=900.0, gt=0, description="The console's login rate limit window.")
    console_trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses or networks (CIDR) of the reverse proxies in front of the "
        "console: from these only, X-Forwarded-For names the client the login rate limit "
        "counts (workers/console/client_address.py). Empty: the peer address is the client. "
        "In the environment: comma-separated.")

    # HTTP (/health, /metrics)
    http_host: str = "127.0.0.1"
    http_port: int | None = Field(
        default=None, description="Override the worker's port (defaults per worker)."
    )
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _heartbeat_within_session(self) -> Settings:
        if self.heartbeat_interval_ms >= self.session_timeout_ms:
            raise ValueError(
                f"heartbeat_interval_ms ({self.heartbeat_interval_ms}) must be below "
                f"session_timeout_ms ({self.session_timeout_ms}): a member that heartbeats "
                "less often than its session lasts is evicted between heartbeats")
        return self

    @field_validator("console_trusted_proxies", mode="before")
    @classmethod
    def _proxy_networks(cls, value: object) -> object:
        """Comma-separated in the environment; each entry an address or a CIDR network."""
        entries = [v.strip() for v in value.split(",")] if isinstance(value, str) else value
        if isinstance(entries, list):
            entries = [e for e in entries if e]
            for entry in entries:
                try:
                    ipaddress.ip_network(entry, strict=False)
                except ValueError:
                    raise ValueError(f"console_trusted_proxies: {entry!r} is not an address "
                                     "or a CIDR network") from None
        return entries

    @field_validator("kafka_security_protocol", "kafka_sasl_mechanism", mode="before")
    @classmethod
    def _kafka_names_in_capitals(cls, value: object, info: ValidationInfo) -> object:
        """`sasl_ssl` is SASL_SSL; an empty variable is an unset one."""
        if isinstance(value, str):
            value = value.strip().upper()
            if not value:
                return "PLAINTEXT" if info.field_name == "kafka_security_protocol" else None
        return value

    @field_validator("kafka_sasl_username", "kafka_sasl_password", "kafka_ssl_cafile",
                     "kafka_ssl_certfile", "kafka_ssl_keyfile", "kafka_ssl_key_password",
                     mode="before")
    @classmethod
    def _kafka_empty_is_unset(cls, value: object) -> object:
        """An empty variable (compose's `${VAR:-}`) is an unset one."""
        return None if value == "" else value

    @model_validator(mode="after")
    def _kafka_security_is_complete(self) -> Settings:
        """The Kafka security settings agree with each other and their files exist, or the
        process does not start: a client never finds out later, at its first connection."""
        protocol = self.kafka_security_protocol
        sasl = {"LEADMEM_KAFKA_SASL_MECHANISM": self.kafka_sasl_mechanism,
                "LEADMEM_KAFKA_SASL_USERNAME": self.kafka_sasl_username,
                "LEADMEM_KAFKA_SASL_PASSWORD": self.kafka_sasl_password}
        files = {"LEADMEM_KAFKA_SSL_CAFILE": self.kafka_ssl_cafile,
                 "LEADMEM_KAFKA_SSL_CERTFILE": self.kafka_ssl_certfile,
                 "LEADMEM_KAFKA_SSL_KEYFILE": self.kafka_ssl_keyfile}
        if protocol.startswith("SASL_"):
            missing = [name for name, value in sasl.items() if not value]
            if missing:
                raise ValueError(f"LEADMEM_KAFKA_SECURITY_PROTOCOL={protocol} needs "
                                 f"{', '.join(missing)}")
        elif given := [name for name, value in sasl.items() if value]:
            raise ValueError(f"{', '.join(given)} set, but LEADMEM_KAFKA_SECURITY_PROTOCOL is "
                             f"{protocol}: set it to SASL_SSL (or SASL_PLAINTEXT) to use them")
        tls = protocol in ("SSL", "SASL_SSL")
        given = [name for name, value in files.items() if value]
        if self.kafka_ssl_key_password is not None:
            given.append("LEADMEM_KAFKA_SSL_KEY_PASSWORD")
        if given and not tls:
            raise ValueError(f"{', '.join(given)} set, but LEADMEM_KAFKA_SECURITY_PROTOCOL is "
                             f"{protocol}: set it to SSL or SASL_SSL to use them")
        for name, value in files.items():
            if value and not (Path(value).is_file() and os.access(value, os.R_OK)):
                raise ValueError(f"{name}: no readable file at {value}")
        if self.kafka_ssl_keyfile and not self.kafka_ssl_certfile:
            raise ValueError("LEADMEM_KAFKA_SSL_KEYFILE needs LEADMEM_KAFKA_SSL_CERTFILE (the "
                             "certificate of that key)")
        if self.kafka_ssl_key_password is not None and not self.kafka_ssl_certfile:
            raise ValueError("LEADMEM_KAFKA_SSL_KEY_PASSWORD needs LEADMEM_KAFKA_SSL_CERTFILE")
        return self

    @model_validator(mode="after")
    def _receipts_outlast_the_replay_window(self) -> Settings:
        if self.retention_webhook_receipts_days * 86_400 <= (
                self.max_event_age_s + self.max_clock_skew_s):
            raise ValueError(
                f"retention_webhook_receipts_days ({self.retention_webhook_receipts_days}) "
                "must outlast max_event_age_s + max_clock_skew_s: a GHL retry still inside "
                "the replay window would find its claim pruned and be accepted twice")
        return self

    @property
    def bootstrap(self) -> str:
        """The broker address workers connect to."""
        return self.kafka_bootstrap or f"127.0.0.1:{self.dev_broker_port}"

    def port_for(self, worker: str) -> int:
        """Each worker serves /metrics and /health on its own port (the console on
        `console_port`, with its pages: it is no pipeline worker `leadmem status` probes)."""
        if self.http_port is not None:
            return self.http_port
        return self.console_port if worker == "console" else WORKER_PORTS[worker]

    def group_id(self, worker: str) -> str:
        return f"{self.consumer_group_prefix}.{worker}"
