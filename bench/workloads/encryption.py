"""The paper's second RQ5 case study, offline: end-to-end encryption of a video call's files.

The user asks for an AES key and an example of how to judge an encryption (two `chatbot`
calls), the encryption of a video and a chat log (two `aes` calls on the key), and a report
that compares the results with the example (a third `chatbot` call): five compute calls, the
right FRG of the paper's Figure 7. `aes` does real AES-256-GCM with `cryptography`, in 1 MiB
chunks, on files `encryption_case()` generates, and measures the effect (size ratio, byte
entropy before and after, time). The chatbot is the CPU-local stand-in of `cases`.

Timings on one core of a 2-core AMD EPYC VM: `aes` encrypting the default 32 MiB video ~0.85 s
(AES-GCM itself runs at ~1 GB/s; the byte statistics dominate), the 256 KiB chat ~5 ms.

Example:
    ```python
    from bench.workloads import encryption

    plan = encryption.encryption_case("/tmp/e2e", video_mb=1, chat_kb=16)
    print(plan)
    ```
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bench.workloads import describe_tool
from bench.workloads.cases import chatbot

if TYPE_CHECKING:
    from bench.workloads import Registry

__all__ = ["ENCRYPTION_QUERY", "ENCRYPTION_TOOLS", "aes", "encryption_case"]

_SEED = 5
_CHUNK = 1 << 20  # AES-GCM chunk: 1 MiB, each with its own nonce and tag
_MAGIC = b"LLMO-GCM1"
_REPORT = "Analyze the results of the encryption by learning from the example"


def _entropy(data: bytes) -> float:
    counts = np.bincount(np.frombuffer(data, dtype=np.uint8), minlength=256)
    p = counts[counts > 0] / max(1, len(data))
    return round(float(-(p * np.log2(p)).sum()), 4)


def aes(action: str, file: str, key: str) -> dict[str, Any]:
    """Encrypt or decrypt a file with AES-256-GCM and return statistics (time, ratio, entropy).

    Args:
        action: "encrypt" (writes file.enc) or "decrypt" (file.enc -> file.dec).
        file: the file to encrypt, or the encrypted file.
        key: 64 hex digits, or any text that holds them (else a passphrase, PBKDF2-derived).
    """
    from cryptography.hazmat.primitives import hashes  # noqa: PLC0415 - optional dependency
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: PLC0415
    from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC  # noqa: PLC0415

    if action not in {"encrypt", "decrypt"}:
        msg = f"aes: action must be 'encrypt' or 'decrypt', got {action!r}"
        raise ValueError(msg)
    start, source = time.perf_counter(), Path(file)
    data = source.read_bytes()
    hexkey = re.search(r"\b[0-9a-fA-F]{64}\b", key)
    secret = (
        bytes.fromhex(hexkey.group())
        if hexkey
        else PBKDF2HMAC(hashes.SHA256(), 32, _MAGIC, 200_000).derive(key.encode())
    )
    cipher, parts = AESGCM(secret), []
    if action == "encrypt":
        target = source.with_name(source.name + ".enc")
        for i, offset in enumerate(range(0, len(data), _CHUNK)):
            nonce = i.to_bytes(12, "big")
            parts += [nonce, cipher.encrypt(nonce, data[offset : offset + _CHUNK], _MAGIC)]
        out = _MAGIC + b"".join(parts)
    else:
        target = source.with_name(source.name.removesuffix(".enc") + ".dec")
        body, step = data[len(_MAGIC) :], 12 + _CHUNK + 16
        for offset in range(0, len(body), step):
            piece = body[offset : offset + step]
            parts.append(cipher.decrypt(piece[:12], piece[12:], _MAGIC))
        out = b"".join(parts)
    target.write_bytes(out)
    stats = {"action": action, "file": source.name, "output": target.name}
    return {
        **stats,
        "bytes_in": len(data),
        "ratio": round(len(out) / max(1, len(data)), 4),
        "entropy_in": _entropy(data),
        "entropy_out": _entropy(out),
        "seconds": round(time.perf_counter() - start, 3),
    }


ENCRYPTION_QUERY = (
    "I want to do end-to-end encryption for privacy protection during a video call. I have a "
    "video file myvideo.mp4 and a chat text file chat.txt. I first need to generate a key for "
    "AES encryption and also obtain an example to evaluate the encryption effect (seems like "
    "the chatbot can do both). Then use the AES encryption tool to encrypt the video and text. "
    "Finally, analyze the results of encryption by learning from the example and tell me."
)


def encryption_case(workdir: str | Path, *, video_mb: float = 32, chat_kb: float = 256) -> str:
    """Write a synthetic video and chat log into workdir; return the 5-call plan.

    Args:
        workdir: the case's folder (created if missing).
        video_mb: size of `myvideo.mp4` (low-entropy frames) in MiB.
        chat_kb: size of `chat.txt` in KiB.

    Returns:
        Plan-language text: 2 chatbot calls, 2 aes calls, 1 chatbot report (all compute).

    Example:
        ```python
        assert "aes(" in encryption_case("/tmp/e2e", video_mb=1)
        ```
    """
    rng, folder = np.random.default_rng(_SEED), Path(workdir)
    folder.mkdir(parents=True, exist_ok=True)
    frame = (np.add.outer(np.arange(240) // 8, np.arange(320) // 8) % 64 + 96).astype(np.uint8)
    shifts = rng.integers(0, 8, max(1, int(video_mb * 2**20 // frame.size)), dtype=np.uint8)
    (folder / "myvideo.mp4").write_bytes((frame[None] + shifts[:, None, None]).tobytes())
    words = ["hi", "see", "you", "at", "the", "meeting", "tomorrow", "ok", "send", "me", "file"]
    text = " ".join(words[i] for i in rng.integers(len(words), size=int(chat_kb * 200)))
    (folder / "chat.txt").write_text(text[: int(chat_kb * 1024)], encoding="utf-8")
    return "\n".join(
        [
            's1: chatbot(prompt="Generate a 256-bit key for AES encryption.")',
            's2: chatbot(prompt="Give an example to evaluate the effect of an encryption.")',
            f's3: aes(action="encrypt", file="{folder / "myvideo.mp4"}", key=s1)',
            f's4: aes(action="encrypt", file="{folder / "chat.txt"}", key=s1)',
            f's5: chatbot(prompt="{_REPORT}: {{s2}} Results: {{s3}} {{s4}}")',
        ]
    )


ENCRYPTION_TOOLS: Registry = {
    "chatbot": (chatbot, "compute", describe_tool(chatbot)),
    "aes": (aes, "compute", describe_tool(aes)),
}
"""End-to-end encryption: chatbot and aes, both compute functions."""
