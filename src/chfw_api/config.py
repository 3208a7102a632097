"""Settings: the only reader of the environment (prefix CHFW_)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, Field, FilePath, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class GuardrailThreshold(BaseModel):
    """One guardrail: in `stage`, a `dimension` slice over `max_failure_rate` with at least
    `min_sample` finished hubs is paused (docs/csp-gateway.md)."""

    stage: Literal["Pilot", "SafeLaunch"]
    dimension: Literal["overall", "supplier", "model", "region"]
    max_failure_rate: float = Field(ge=0, le=1)
    min_sample: int = Field(ge=1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHFW_", env_file=None, extra="ignore")

    database_url: str = Field(
        default="sqlite:///./var/chfw.db",
        description="SQLAlchemy URL: embedded SQLite by default, postgresql:// in production",
    )
    gateway_root: Path = Field(default=Path("./var/gateway"))
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    max_import_body_bytes: int = Field(default=1024 * 1024 * 1024, ge=1024)
    auto_migrate: bool = Field(
        default=True, description="`chfw serve` migrates the database to head before serving"
    )
    log_level: str = "INFO"
    ready_max_outbox_lag_seconds: float | None = Field(
        default=900.0,
        gt=0,
        description="/readyz answers 503 while a due webhook delivery has waited longer than "
        "this for a worker (the workers are down or behind); unset to never fail on it",
    )
    clock_file: Path | None = Field(
        default=None,
        description="demos and tests only: read time as real time plus the offset (seconds) in "
        "this file, shared by every process given it (chfw demo's accelerated clock)",
    )
    sqlite_busy_timeout_ms: int = 30_000
    dcc_user_id: str = Field(
        default="90-B3-D5-1F-30-00-00-02",
        description="the DCC's User ID: originator of every alert's ResponseID",
    )
    activation_alert_code: str = Field(
        default="N63", pattern=r"^(AD1|N[0-9]{1,3})$", description="per-hub activation alert code"
    )
    validate_alerts: bool = Field(
        default=True, description="validate every rendered alert against our XSD before storing"
    )
    max_xml_depth: int = Field(default=64, ge=8, description="Service Request nesting limit")
    max_request_guids: int = Field(
        default=300_000,
        ge=1,
        description="GUIDs one Service Request may name; more is refused E110021 unparsed",
    )
    pilot_max_size: int = Field(default=300, ge=1, description="C3: hubs in a pilot group")
    pilot_minimum_per_supplier: int = Field(
        default=5, ge=0, description="AD09: pilot hubs DCC selects for a supplier that sent none"
    )
    reports_dir: Path = Field(default=Path("./var/reports"))
    dashboard_key_in_url: bool = Field(
        default=False,
        description="let GET /dashboard/login?key=... sign in (scripted browsers in tests); "
        "it puts a DCC key in a URL, which proxies and browser history may keep",
    )
    import_error_cap: int = Field(default=1000, ge=1, description="bad rows listed in a report")
    # Webhook delivery (docs/delivery.md).
    webhook_allowed_networks: list[str] = Field(
        default_factory=list,
        description="networks webhook URLs may reach although private or loopback, e.g. "
        '["127.0.0.0/8"] for local receivers; keep empty in production',
    )
    webhook_retry_schedule: list[float] = Field(
        default=[10, 30, 90, 270, 810, 2430, 7290, 21870, 43200],
        min_length=1,
        description="seconds before each retry (then dead letter); default about a day",
    )
    webhook_retry_jitter: float = Field(default=0.2, ge=0, lt=1)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    webhook_connect_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    webhook_secret_overlap_seconds: int = Field(
        default=86_400, ge=0, le=7 * 86_400, description="old secret stays valid this long"
    )
    delivery_lease_seconds: float = Field(
        default=120.0, gt=0, description="claimed rows return to the queue if not done by then"
    )
    delivery_claim_size: int = Field(
        default=1000, ge=1, le=50_000, description="rows per claim; claim again below this"
    )
    delivery_endpoint_claim_requests: int = Field(
        default=1000, ge=1, description="per endpoint per claim: this many requests' worth"
    )
    delivery_concurrency: int = Field(default=128, ge=1, description="requests in flight/worker")
    delivery_endpoint_concurrency: int = Field(default=16, ge=1, description="per endpoint")
    delivery_poll_seconds: float = Field(default=0.5, gt=0, description="idle wait between claims")
    dcc_signing_key_file: FilePath | None = Field(
        default=None,
        description="DCC's XML signing key (unencrypted ECDSA P-256, PEM or DER): when set, with "
        "dcc_signing_cert_file, every alert is XML-signed before it is sent or served",
    )
    dcc_signing_cert_file: FilePath | None = Field(
        default=None,
        description="the X.509 certificate (PEM or DER) of dcc_signing_key_file (its issuer "
        "and serial name the key in each signature's KeyInfo)",
    )

    # CSP Management Gateway (docs/csp-gateway.md).
    guardrail_rules: list[GuardrailThreshold] = Field(
        default_factory=lambda: [
            GuardrailThreshold(stage=s, dimension=d, max_failure_rate=r, min_sample=n)
            for s, overall, sliced, n in (
                ("Pilot", 0.10, 0.15, 20),
                ("SafeLaunch", 0.05, 0.08, 200),
            )
            for d, r in (
                ("overall", overall),
                ("supplier", sliced),
                ("model", sliced),
                ("region", sliced),
            )
        ],
        description="default failure thresholds per stage and slice dimension, each with its "
        "minimum sample; a campaign may override them (PUT .../guardrails)",
    )
    csp_result_max_future_seconds: int = Field(
        default=300, ge=0, description="how far ahead of our clock a CSP result may be dated"
    )
    gateway_claim_size: int = Field(default=200, ge=1, le=10_000, description="files per claim")
    instruction_chunk_hubs: int = Field(
        default=50_000,
        ge=1,
        le=500_000,
        description="hubs per transaction when the worker completes a large SR 11.7",
    )
    csp_sim_seed: int = Field(default=1, description="CSP simulator: seed for its failures")
    csp_sim_failure_rate: float = Field(default=0.02, ge=0, le=1)
    csp_sim_distribution_lead_seconds: int = Field(
        default=3600, ge=0, description="CSP simulator: distributes this long before activation"
    )
    csp_sim_batch_size: int = Field(default=5000, ge=1, le=100_000)

    # Email notices (issue #14, docs/email.md): sent by `chfw worker` when smtp_host is set.
    email_from: str = Field(
        default="chfw-notices@dcc.example", description="From address; its domain names Message-IDs"
    )
    email_from_name: str = "DCC Communications Hub firmware"
    smtp_host: str | None = Field(default=None, description="no host: emails stay queued")
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_starttls: bool = Field(default=False, description="STARTTLS before authenticating")
    smtp_tls_ca_file: FilePath | None = Field(
        default=None, description="CA bundle for the server's certificate (default: system CAs)"
    )
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    email_retry_schedule: list[float] = Field(
        default=[10, 30, 90, 270, 810, 2430, 7290, 21870, 43200],
        min_length=1,
        description="seconds before each retry of an email (then dead letter)",
    )
    email_retry_jitter: float = Field(default=0.2, ge=0, lt=1)
    email_claim_size: int = Field(default=200, ge=1, le=10_000)
    dkim_key_file: FilePath | None = Field(
        default=None, description="RSA private key (PEM): DKIM-sign every email (rsa-sha256)"
    )
    dkim_selector: str = "chfw"
    dkim_domain: str | None = Field(default=None, description="default: email_from's domain")

    @model_validator(mode="after")
    def _signing_key_and_certificate_together(self) -> Self:
        if (self.dcc_signing_key_file is None) != (self.dcc_signing_cert_file is None):
            raise ValueError(
                "CHFW_DCC_SIGNING_KEY_FILE and CHFW_DCC_SIGNING_CERT_FILE go together: "
                "set both to sign alerts, or neither"
            )
        return self


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
