"""Benchmarks for langchain-llmorch: datasets, workloads, a scripted LLM server and runners."""
