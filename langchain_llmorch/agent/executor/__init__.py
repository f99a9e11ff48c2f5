"""`LLMOrchAgentExecutor`, the drop-in for LangChain's `AgentExecutor`.

`agent_executor` holds the class; `inputs` finds the chat model and the prompt inside an
`AgentExecutor` agent and makes the conversation from the input; `loop` runs the graph
inside the executor's root run, as `AgentExecutor` runs its loop; `steps` turns the
graph's call events into `AgentExecutor`'s actions, steps and verbose output.
"""

from langchain_llmorch.agent.executor.agent_executor import LLMOrchAgentExecutor
from langchain_llmorch.agent.executor.inputs import find_chat_model, find_system_prompt
from langchain_llmorch.agent.executor.loop import STOPPED

__all__ = ["STOPPED", "LLMOrchAgentExecutor", "find_chat_model", "find_system_prompt"]
