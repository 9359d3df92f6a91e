"""Domain errors, turned into HTTP statuses and CLI messages at the edges (messages in Chinese).

Each error carries the HTTP status the API answers it with; the CLI prints the message and exits 1.
"""


class AssistantError(Exception):
    """Base class; `str(err)` is the message a user reads."""

    status = 500


class ConfigError(AssistantError):
    """Settings that cannot work (bad path, unknown embedder, missing extra): the service is unavailable."""

    status = 503


class UnreadableFileError(AssistantError):
    """A corpus file that cannot be read, decoded or parsed; ingest skips it."""

    status = 400


class IndexMissingError(AssistantError):
    """No built index where the settings point."""

    status = 503


class IndexModelMismatchError(AssistantError):
    """The index was built with another embedding model than the one configured."""

    status = 503


class StoreUnavailableError(AssistantError):
    """The vector store cannot be reached."""

    status = 503


class NotFoundError(AssistantError):
    """An unknown document or chunk id."""

    status = 404


class UnknownKnowledgeBaseError(NotFoundError):
    """A knowledge base the store does not hold."""


class ForbiddenError(AssistantError):
    """The caller may not use this (a knowledge base outside its widget key's scope)."""

    status = 403


class TopicNotCoveredError(NotFoundError):
    """Retrieval shows the corpus knows nothing on a course-pack topic."""


class RejectedUploadError(AssistantError):
    """An upload refused before anything is stored: bad name, empty, unparseable."""

    status = 400


class UploadTooLargeError(RejectedUploadError):
    status = 413


class UnsupportedFileTypeError(RejectedUploadError):
    """The content is not what the name says, or not a document type we read."""

    status = 415


class ConflictError(AssistantError):
    """The change clashes with what is there (a document of that name exists)."""

    status = 409
