"""Worker processes for compute calls.

`pool` is the process-wide pool of warm workers (`get_pool`), `records` the records of
a call in the parent and on the wire, `workers` the handler threads and the watchdog,
`worker_main` the worker program itself (a fresh interpreter that imports nothing of this
package), `cpus` the count of usable processors, and `slots` (with `slot_files`) the
machine-wide slots every compute call of every process of the user holds while it runs.
"""

from langchain_llmorch.processes.cpus import usable_cpus
from langchain_llmorch.processes.pool import ProcessPool, get_pool

__all__ = ["ProcessPool", "get_pool", "usable_cpus"]
