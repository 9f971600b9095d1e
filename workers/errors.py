"""One root exception and two branches: retry it, or dead-letter it at once.

The dead-letter boundary (`workers.runtime.boundary`) is the only place that catches broadly;
everything else raises one of these, translating library errors where they happen.
"""

from __future__ import annotations


class PipelineError(Exception):
    """Root of every error the pipeline raises on purpose."""


class RetryableError(PipelineError):
    """A transient failure (a service away, a rate limit): try again after `retry_after`."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(PipelineError):
    """Retrying cannot help: the record goes to the dead-letter topic."""


class InvalidEventError(PermanentError):
    """The record is not a well-formed event (bytes, JSON or schema)."""


class SignatureMismatchError(PermanentError):
    """The webhook's signature does not verify over the raw body."""


class StaleEventError(PermanentError):
    """The webhook's `timestamp` is outside the accepted window (a replay)."""


class ConfigurationError(PipelineError):
    """The deployment is misconfigured; raised at start-up, never per record."""
