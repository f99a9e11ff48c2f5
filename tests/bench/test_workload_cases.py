"""RQ5 case studies: the purchase-intent plan runs end to end; AES-GCM round-trips files."""

import asyncio
from pathlib import Path

import pytest

from bench.workloads import cases, encryption
from bench.workloads import search as ws
from bench.workloads.latency import LatencyModel

TOKENS = 8  # the local chatbot's decoding work, tiny for tests


def test_purchase_case_runs_end_to_end(tmp_path: Path) -> None:
    plan = cases.purchase_case(tmp_path, scale=0.02)
    assert len(plan.splitlines()) == 7
    assert (tmp_path / "history.txt").read_text().count("\n") == 401
    ws.set_latency(LatencyModel(scale=0.0))
    page = asyncio.run(cases.search("https://www.apple.com/"))
    tutorial = cases.chatbot("Generate a tutorial for analyzing user portraits.", TOKENS)
    history = cases.python("analyze.py", [str(tmp_path / "history.txt"), "--scale=0.02"])
    content = cases.python("content.py", [page, "--scale=0.02"])
    user = cases.python("user.py", [page, "--scale=0.02"])
    assert "intent score:" in history
    assert "products: 7" in content
    assert "conversion:" in user
    portrait = cases.chatbot(f"{cases._PORTRAIT}: {history} {tutorial}", TOKENS)
    assert portrait.startswith("User portrait: a brand-loyal buyer")
    verdict = cases.chatbot(f"{cases._JUDGE}: {content} {user} {history} {portrait}", TOKENS)
    score = float(history.rsplit("intent score: ", 1)[1])
    assert verdict.startswith(f"The user is {'likely' if score >= 0.5 else 'unlikely'} to buy")
    assert f"(intent score {score:.2f})" in verdict


def test_python_rejects_unknown_scripts() -> None:
    with pytest.raises(ValueError, match="unknown script"):
        cases.python("rm.py", ["-rf"])


def test_chatbot_is_deterministic_and_template_driven() -> None:
    key = cases.chatbot("Generate a 256-bit key for AES encryption.", TOKENS)
    assert key == cases.chatbot("Generate a 256-bit key for AES encryption.", TOKENS)
    assert len(key.rsplit(" ", 1)[-1]) == 64
    assert cases.chatbot("Hello there. More.", TOKENS) == "Answer: Hello there"


def test_aes_encrypts_and_decrypts_a_file(tmp_path: Path) -> None:
    plan = encryption.encryption_case(tmp_path, video_mb=2.5, chat_kb=8)
    assert len(plan.splitlines()) == 5
    key = cases.chatbot("Generate a 256-bit key for AES encryption.", TOKENS)
    video = tmp_path / "myvideo.mp4"
    stats = encryption.aes("encrypt", str(video), key)
    assert stats["entropy_in"] < 7.0
    assert stats["entropy_out"] > 7.99
    assert (tmp_path / "myvideo.mp4.enc").read_bytes() != video.read_bytes()
    back = encryption.aes("decrypt", str(tmp_path / "myvideo.mp4.enc"), key)
    assert back["output"] == "myvideo.mp4.dec"
    assert (tmp_path / "myvideo.mp4.dec").read_bytes() == video.read_bytes()
    report = cases.chatbot(f"{encryption._REPORT}: example. Results: {stats}", TOKENS)
    assert report.endswith("effective.")


def test_aes_with_the_wrong_key_fails_authentication(tmp_path: Path) -> None:
    from cryptography.exceptions import InvalidTag

    (tmp_path / "chat.txt").write_text("secret " * 100)
    encryption.aes("encrypt", str(tmp_path / "chat.txt"), "a passphrase")
    with pytest.raises(InvalidTag):
        encryption.aes("decrypt", str(tmp_path / "chat.txt.enc"), "another passphrase")
    with pytest.raises(ValueError, match="action"):
        encryption.aes("shred", str(tmp_path / "chat.txt"), "k")


def test_case_registries_follow_the_paper() -> None:
    assert {n: k for n, (_, k, _) in cases.PURCHASE_TOOLS.items()} == {
        "search": "inout",
        "chatbot": "compute",
        "python": "compute",
    }
    assert {k for _, k, _ in encryption.ENCRYPTION_TOOLS.values()} == {"compute"}
