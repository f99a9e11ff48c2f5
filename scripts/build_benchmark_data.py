# ruff: noqa: INP001 - a stand-alone script, not a package module
"""Rebuild the HotpotQA files of `bench/data/` from their pinned sources.

Inputs (see `bench/data/README.md` for where each comes from):

- LLMCompiler's `datasets/hotpotqa_comparison.json` (every comparison question of the HotpotQA
  dev distractor set, 1,487 items, no paragraphs);
- IRCoT's processed HotpotQA dev subsample, `processed_data/hotpotqa/dev_subsampled.jsonl`
  (500 questions, each with its distractor-setting Wikipedia paragraphs).

Outputs, UTF-8 compact JSON gzipped with `mtime=0` (byte-for-byte reproducible):

- `hotpotqa_comparison_250.json.gz`: the 250 subsample questions that are in LLMCompiler's
  comparison file, in that file's order, with LLMCompiler's question and answer;
- `hotpotqa_bridge_250.json.gz`: the other 250 subsample questions (HotpotQA's other type,
  "bridge"), in the subsample's order, with the first answer span as the answer.

Both hold `[{id, question, answer, contexts: [{title, text, is_supporting}]}]`.

Usage:
    python scripts/build_benchmark_data.py \
        --llmcompiler ../shared/data/hotpotqa/hotpotqa_comparison.json \
        --ircot ../shared/data/hotpotqa/ircot_hotpotqa_dev_subsampled.jsonl \
        --out bench/data
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

_SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "hotpotqa"  # ../shared beside the repo
_SHA256 = {
    "hotpotqa_comparison.json": "b8c1b0c756dcf8fcb76ea18d6779ebf5140764e8fe851c3d49397eb0bef24dfb",
    "dev_subsampled.jsonl": "837a919903fedf521211c4271f168ad5458488198e9c4d967bf5f3a579525ce8",
}


def _read_checked(path: Path, name: str) -> bytes:
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != _SHA256[name]:
        msg = f"{path}: sha256 {digest} is not the pinned {name} ({_SHA256[name]})"
        raise SystemExit(msg)
    return data


def _contexts(row: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"title": c["title"], "text": c["paragraph_text"], "is_supporting": c["is_supporting"]}
        for c in row["contexts"]
    ]


def _answer(row: dict[str, Any]) -> str:
    (answer,) = row["answers_objects"]
    (span,) = answer["spans"]  # every bridge question of the subsample has exactly one span
    return str(span)


def build(llmcompiler: Path, ircot: Path) -> dict[str, list[dict[str, Any]]]:
    """Return the two datasets, keyed by output file name."""
    comparison = json.loads(_read_checked(llmcompiler, "hotpotqa_comparison.json"))
    lines = _read_checked(ircot, "dev_subsampled.jsonl").decode("utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    by_id = {row["question_id"]: row for row in rows}
    compared = [
        {
            "id": item["id"],
            "question": item["question"],
            "answer": item["answer"],
            "contexts": _contexts(by_id[item["id"]]),
        }
        for item in comparison
        if item["id"] in by_id
    ]
    seen = {item["id"] for item in compared}
    bridge = [
        {
            "id": row["question_id"],
            "question": row["question_text"],
            "answer": _answer(row),
            "contexts": _contexts(row),
        }
        for row in rows
        if row["question_id"] not in seen
    ]
    return {
        "hotpotqa_comparison_250.json.gz": compared,
        "hotpotqa_bridge_250.json.gz": bridge,
    }


def write(files: dict[str, list[dict[str, Any]]], out: Path) -> None:
    """Write each dataset as compact UTF-8 JSON, gzipped at level 9 with mtime=0."""
    for name, items in files.items():
        raw = json.dumps(items, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        data = gzip.compress(raw, compresslevel=9, mtime=0)
        (out / name).write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        print(f"{name}: {len(items)} questions, {len(data):,} B, sha256 {digest}")  # noqa: T201


def main() -> None:
    """Parse the command line and rebuild the files."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--llmcompiler", type=Path, default=_SHARED / "hotpotqa_comparison.json")
    parser.add_argument(
        "--ircot", type=Path, default=_SHARED / "ircot_hotpotqa_dev_subsampled.jsonl"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parents[1] / "bench/data",
    )
    args = parser.parse_args()
    write(build(args.llmcompiler, args.ircot), args.out)


if __name__ == "__main__":
    main()
