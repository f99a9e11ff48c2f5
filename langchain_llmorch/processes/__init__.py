"""Worker processes for compute calls.

`pool` holds `ProcessPool` and the process-wide pools (`get_pool`); its docstring draws how a
call flows. `call_queue` holds a pool's calls between submit and a worker (`CallQueue`),
`handles` the parent's side of each worker process and its handler thread (`WorkerHandle`),
`delivery` whether a call reached its worker (the start mark, one resend), `watchdog` the
timeout `Watchdog`, `records` a call's record in the parent (`Job`) and its outcome,
and `worker_main` the worker program with the wire format (a fresh interpreter that imports
nothing of this package). `cpus` counts the usable processors, `slots` (with `slot_files`)
are the machine-wide slots every compute call of every process of the user holds while it
runs, and `warm` starts the workers in the background when an agent is built.
"""

from langchain_llmorch.processes.cpus import usable_cpus
from langchain_llmorch.processes.pool import ProcessPool, get_pool

__all__ = ["ProcessPool", "get_pool", "usable_cpus"]
