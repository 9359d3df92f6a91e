"""Rich tables for the benchmark's result (bench/benchmark.py)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

KIND = {"unseen": "新问题", "repeated": "重复问题"}


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _x(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def print_benchmark(result: dict, console: Console) -> None:
    m, floor, ing, srv = result["machine"], result["floor"], result["ingest"], result["server"]
    console.print(f"[bold]基准[/bold]{'（--quick 简短运行）' if result['quick'] else ''}：索引 {result['index_dir']}，"
                  f"向量模型 {result['embedder']}（{m.get('embed_workers', 1)} 个实例，"
                  f"OMP_NUM_THREADS={m.get('omp_num_threads') or '未设'}），"
                  f"{result['questions']} 个问题；{m['cpus']} 个 CPU，"
                  f"负载 {m['load_before'][0]:.2f} → {m['load_after'][0]:.2f}（机器与他人共用时数字偏高）；"
                  f"用时 {result['seconds']:.0f} 秒")

    t = Table(title="入库 vs 模型本身（临时索引、空向量缓存：每个文本都是新的）")
    for col in ("文档", "向量化文本（片段 + 句子）", "入库耗时", "其中模型", "入库速度", "模型直接向量化",
                "每文本耗时比", "入库/其中模型"):
        t.add_column(col, justify="right")
    t.add_row(str(ing["documents"]), f"{ing['passages']}（{ing['chunks']} + {ing['sentences']}）",
              f"{ing['ingest_s']:.1f} s", f"{ing['model_s_during_ingest']:.1f} s", f"{ing['ingest_rate']:.1f} 文本/秒",
              f"{ing['embed_rate']:.1f} 文本/秒（{ing['embed_s']:.1f} s）", _x(ing["ratio"]), _x(ing["ratio_within_ingest"]))
    console.print(t)

    t = Table(title="HTTP 延迟（assistant serve 独立进程，本机回环）", caption=(
        "地板 = 模型单条查询向量化的 p50，在每轮压测前当场测（本进程、工作线程、无缓存，每轮 "
        f"{floor['queries'] // len(result['latency'])} 次）；N 个并发客户端时为 ⌈N / 模型实例数 "
        f"{m.get('embed_workers', 1)}⌉ × 该值：每个实例一次向量化一条，新问题只能排队。全程 {floor['queries']} 次：p50 {floor['p50_ms']:.1f} ms，p95 {floor['p95_ms']:.1f} ms，"
        f"最快 {floor['min_ms']:.1f}，最慢 {floor['max_ms']:.1f} ms。重复问题命中查询向量缓存、不向量化，不与地板比较。"))
    for col in ("接口", "问题", "并发", "请求", "p50 ms", "p95 ms", "p99 ms", "吞吐 次/秒", "地板 ms", "p50/地板",
                "p95/地板", "拒答", "失败"):
        t.add_column(col, justify="right" if col not in ("接口", "问题") else "left")
    for r in result["latency"]:
        new = r["questions"] == "unseen"
        t.add_row(r["endpoint"], KIND[r["questions"]], str(r["clients"]), str(r["requests"]), _ms(r["p50_ms"]),
                  _ms(r["p95_ms"]), _ms(r["p99_ms"]), f"{r['throughput_qps']:.1f}", _ms(r["floor_ms"]) if new else "—",
                  _x(r["p50_over_floor"]) if new else "—", _x(r["p95_over_floor"]) if new else "—",
                  str(r["labels"].get("refused", 0)) if r["endpoint"] == "/api/chat" else "—",
                  f"[red]{r['failures']}[/red]" if r["failures"] else "0")
    console.print(t)

    starts = "、".join(f"{s:.2f}" for s in srv["cold_start_s"])
    console.print(f"服务进程内存（{srv.get('workers', 1)} 个工作进程，合计）：就绪后 {_ms(srv['rss_ready_mb'])} MB，"
                  f"压测后 {_ms(srv['rss_end_mb'])} MB，单个进程峰值（VmHWM）{_ms(srv['peak_rss_mb'])} MB；冷启动到 /readyz 200：{starts} s（中位数 "
                  f"{srv['cold_start_median_s']:.2f} s）")

    t = Table(title="目标")
    for col in ("目标", "要求", "实测", "达成", "说明"):
        t.add_column(col)
    for g in result["goals"]:
        value = "—" if g["value"] is None else f"{g['value']:.2f} {g['unit']}"
        t.add_row(g["goal"], g["target"], value, "[green]达成[/green]" if g["met"] else "[red]未达成[/red]", g["note"])
    console.print(t)
