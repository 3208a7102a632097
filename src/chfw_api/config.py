"""Settings: the only reader of the environment (prefix CHFW_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


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
    import_error_cap: int = Field(default=1000, ge=1, description="bad rows listed in a report")


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
