"""Domain errors, turned into HTTP statuses and CLI messages at the edges (messages in Chinese)."""


class AssistantError(Exception):
    """Base class; `str(err)` is the message a user reads."""


class ConfigError(AssistantError):
    """Settings that cannot work (bad path, unknown embedder, missing extra)."""


class UnreadableFileError(AssistantError):
    """A corpus file that cannot be read, decoded or parsed; ingest skips it."""


class IndexMissingError(AssistantError):
    """No built index where the settings point."""


class IndexModelMismatchError(AssistantError):
    """The index was built with another embedding model than the one configured."""


class StoreUnavailableError(AssistantError):
    """The vector store cannot be reached."""


class NotFoundError(AssistantError):
    """An unknown document or chunk id."""


class TopicNotCoveredError(NotFoundError):
    """Retrieval shows the corpus knows nothing on a course-pack topic (→ 404 at the API)."""


class RejectedUploadError(AssistantError):
    """An upload refused before anything is stored: bad name, empty, unparseable (→ 400)."""

    status = 400


class UploadTooLargeError(RejectedUploadError):
    status = 413


class UnsupportedFileTypeError(RejectedUploadError):
    """The content is not what the name says, or not a document type we read (→ 415)."""

    status = 415


class ConflictError(AssistantError):
    """The change clashes with what is there (a document of that name exists) (→ 409)."""
