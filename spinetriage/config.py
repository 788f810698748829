"""The one settings class. Every variable is read from the environment with the prefix
``SPINETRIAGE_`` (``SPINETRIAGE_DICOM_PORT=104``); build it once in ``main()`` and pass it down."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

GIB = 1024**3
AE_TITLE_MAX_CHARS = 16


class SettingsError(Exception):
    """Settings that cannot start the service; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SPINETRIAGE_", extra="ignore", frozen=True)

    # Where the service keeps its files: spool and, when embedded, Redis's data.
    data_dir: Path = Path("var")
    spool_dir: Path | None = None
    # Below this much free disk in the spool, instances are refused with 0xA700.
    spool_min_free_bytes: int = Field(default=2 * GIB, ge=0)

    # Redis: broker, study index and worklist. Unset means start the embedded server.
    redis_url: str | None = None
    embedded_redis_port: int = Field(default=16379, ge=1, le=65535)
    embedded_redis_bind: str = "127.0.0.1"

    dicom_ae_title: str = "SPINETRIAGE"
    dicom_bind: str = "0.0.0.0"
    dicom_port: int = Field(default=11112, ge=1, le=65535)
    # Empty means any calling AE title may associate.
    dicom_allowed_calling_aes: Annotated[list[str], NoDecode] = []
    dicom_max_pdu_bytes: int = Field(default=262_144, ge=0)
    dicom_network_timeout_s: float = Field(default=60.0, gt=0)
    # Several listener processes may share the DICOM port (SO_REUSEPORT).
    listener_processes: int = Field(default=1, ge=1, le=64)
    dicom_tls_cert: Path | None = None
    dicom_tls_key: Path | None = None
    dicom_tls_ca: Path | None = None

    # A study is complete when its association ended and nothing came for the grace period,
    # or when nothing came for the quiet period, whichever is first.
    completion_quiet_s: float = Field(default=5.0, gt=0)
    completion_grace_s: float = Field(default=1.0, ge=0)
    completion_poll_s: float = Field(default=0.2, gt=0)
    # A claimed study whose task was not confirmed sent within this time is sent again.
    completion_dispatch_lease_s: float = Field(default=30.0, gt=0)

    # Workers: one process per core unless set; a study's analysis is stopped softly after the
    # first limit (it is recorded as failed) and killed after the second. The slowest study
    # measured (254 CT slices in JPEG 2000) takes 7 s of CPU.
    worker_concurrency: int | None = Field(default=None, ge=1, le=64)
    task_soft_time_limit_s: float = Field(default=60.0, gt=0)
    task_time_limit_s: float = Field(default=90.0, gt=0)
    # Transient failures (Redis, disk) are retried this often, waiting longer each time.
    task_max_retries: int = Field(default=5, ge=0)
    # A task whose worker died without a word (killed, machine lost) goes to another worker
    # after this long; it must outlast the hard time limit, or a task still running is handed
    # out twice. A study a lost worker held waits this long: a late read, so kept short.
    task_redelivery_s: float = Field(default=120.0, gt=0)

    # The worklist API and page. Radiologists' actions need the bearer token; listing and the
    # page need it too unless the listing is opened to the (trusted) network.
    api_bind: str = "0.0.0.0"
    api_port: int = Field(default=8080, ge=1, le=65535)
    api_token: SecretStr | None = None
    api_open_listing: bool = False

    # /metrics, /healthz and /readyz of the listener (replica n on the port plus n) and of the
    # worker's main process, which sums up its analysis processes' samples; 0 picks a free port.
    metrics_bind: str = "0.0.0.0"
    listener_metrics_port: int = Field(default=9101, ge=0, le=65535)
    # Above the ports of the largest listener replica set (9101 + 63), so one machine runs both.
    worker_metrics_port: int = Field(default=9180, ge=0, le=65535)
    # How often the listener adds up the size of every file in the spool (a walk of the whole
    # folder, too slow for every scrape) for spinetriage_spool_used_bytes.
    spool_usage_interval_s: float = Field(default=60.0, gt=0)

    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @field_validator("dicom_allowed_calling_aes", mode="before")
    @classmethod
    def _split_ae_titles(cls, value: object) -> object:
        if isinstance(value, str):
            return [title.strip() for title in value.split(",") if title.strip()]
        return value

    @field_validator("dicom_ae_title")
    @classmethod
    def _check_ae_title(cls, value: str) -> str:
        if not value.strip() or len(value) > AE_TITLE_MAX_CHARS or "\\" in value:
            raise ValueError("an AE title is 1 to 16 characters without a backslash")
        return value.strip()

    @model_validator(mode="after")
    def _check_tls_pair(self) -> Settings:
        if (self.dicom_tls_cert is None) != (self.dicom_tls_key is None):
            raise ValueError("SPINETRIAGE_DICOM_TLS_CERT and SPINETRIAGE_DICOM_TLS_KEY go together")
        if self.task_soft_time_limit_s >= self.task_time_limit_s:
            raise ValueError(
                "SPINETRIAGE_TASK_SOFT_TIME_LIMIT_S must be below SPINETRIAGE_TASK_TIME_LIMIT_S"
            )
        if self.task_redelivery_s <= self.task_time_limit_s:
            raise ValueError(
                "SPINETRIAGE_TASK_REDELIVERY_S must exceed SPINETRIAGE_TASK_TIME_LIMIT_S"
            )
        if self.dicom_tls_ca is not None and self.dicom_tls_cert is None:
            raise ValueError("SPINETRIAGE_DICOM_TLS_CA needs SPINETRIAGE_DICOM_TLS_CERT and _KEY")
        return self

    @property
    def spool_path(self) -> Path:
        return self.spool_dir if self.spool_dir is not None else self.data_dir / "spool"

    @property
    def embedded_redis_dir(self) -> Path:
        return self.data_dir / "redis"

    @property
    def tls_enabled(self) -> bool:
        return self.dicom_tls_cert is not None


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning a validation failure into one message per bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"])
        name = f"SPINETRIAGE_{field.upper()}" if field else "settings"
        lines.append(f"{name}: {error['msg']}")
    return "invalid settings:\n  " + "\n  ".join(lines)
