"""Compute backends beyond this machine's worker pool (`Orchestrator(executor=...)`)."""
