"""Structured JSON logs (structlog), one object per line, each naming service and version.

Request id and trace id are bound per request through context variables, so a log line written
anywhere below a route can be joined to its trace.
"""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(*, service: str, version: str, level: str = "info") -> None:
    """Send structlog and stdlib logging to stdout as JSON lines."""
    numeric_level = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            *shared,
            _add_service(service, version),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=False,  # keeps structlog.testing.capture_logs usable
    )
    logging.basicConfig(level=max(numeric_level, logging.WARNING), stream=sys.stdout, force=True)


def _add_service(service: str, version: str) -> structlog.types.Processor:
    def processor(
        _logger: object, _method: str, event_dict: structlog.types.EventDict
    ) -> structlog.types.EventDict:
        event_dict.setdefault("service.name", service)
        event_dict.setdefault("service.version", version)
        return event_dict

    return processor
