"""Child process that runs llama.cpp's OpenAI-compatible server through `xllamacpp`.

`langchain_llmorch.local.LocalLLMServer` starts this module as
`python -P .../langchain_llmorch/_local_server.py --model PATH --port N ...` and keeps
the child's standard input open. The child loads the model, serves HTTP on
127.0.0.1 from llama.cpp's own threads, and blocks reading standard input: when
that reaches end of file (the parent asked it to stop, exited, or was killed) it
shuts the server down and exits. A separate process keeps llama.cpp's threads,
memory and log output away from the caller's process and its worker pools, and
lets the caller enforce a start-up deadline by killing it.

Exit codes: 0 after a clean stop, 3 when `xllamacpp` cannot be imported, 4 when
the server could not start (bad model file, port in use).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

EXIT_NO_XLLAMACPP = 3
EXIT_START_FAILED = 4
# llama.cpp log threshold: 1 prints errors only (0 would hide them too).
_LOG_ERRORS_ONLY = 1


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="_local_server.py")
    parser.add_argument("--model", required=True, help="path of the GGUF model file")
    parser.add_argument("--port", type=int, required=True, help="loopback port to listen on")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for generation")
    parser.add_argument(
        "--threads-batch",
        type=int,
        default=0,
        help="CPU threads for prompt processing (0: --threads)",
    )
    parser.add_argument("--ctx", type=int, default=2048, help="context window in tokens")
    parser.add_argument("--alias", default="", help="model name reported by /v1/models")
    parser.add_argument(
        "--jinja", action="store_true", help="Jinja chat templates and tool-call parsing"
    )
    return parser.parse_args(argv)


def _build_params(xlc: Any, args: argparse.Namespace) -> Any:
    params = xlc.CommonParams()
    params.model.path = args.model
    params.n_ctx = args.ctx
    params.n_parallel = 1
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads_batch or args.threads
    params.port = args.port
    # Settings whose name or type changed across xllamacpp releases; llama.cpp's
    # defaults (127.0.0.1, full logs, the file name as model name) are fine too.
    with contextlib.suppress(AttributeError, TypeError):
        params.hostnames = ["127.0.0.1"]
    with contextlib.suppress(AttributeError, TypeError):
        params.verbosity = _LOG_ERRORS_ONLY
    if args.alias:
        with contextlib.suppress(AttributeError, TypeError):
            params.model_alias = {args.alias}
    with contextlib.suppress(AttributeError, TypeError):
        params.use_jinja = args.jinja
    return params


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until standard input closes; return the process exit code.

    Args:
        argv: command-line arguments (default: `sys.argv[1:]`).

    Returns:
        0 after a clean stop, `EXIT_NO_XLLAMACPP` or `EXIT_START_FAILED` on failure.

    Example:
        ```python
        # Normally started by LocalLLMServer.start(); by hand it would be:
        #   python -P langchain_llmorch/_local_server.py --model m.gguf --port 8080
        from langchain_llmorch.local.server_main import main
        ```
    """
    args = _parse_args(argv)
    try:
        import xllamacpp as xlc  # noqa: PLC0415 - optional dependency
    except ImportError as err:
        sys.stderr.write(f"cannot import xllamacpp: {err}\n")
        return EXIT_NO_XLLAMACPP
    try:
        server = xlc.Server(_build_params(xlc, args))
    except Exception as err:
        sys.stderr.write(f"llama.cpp server failed to start on port {args.port}: {err}\n")
        return EXIT_START_FAILED
    sys.stderr.write(f"listening on {server.listening_address}\n")
    sys.stderr.flush()
    try:
        # Blocks (without the GIL) until the parent closes the pipe or dies.
        sys.stdin.buffer.read()
    except KeyboardInterrupt:  # pragma: no cover - the child runs in its own session
        pass
    finally:
        del server  # the destructor stops the HTTP server and joins its threads
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised through LocalLLMServer
    sys.exit(main())
