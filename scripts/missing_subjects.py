"""8 questions with one subject that does not exist, on the embedded model: does the answer
name the missing subject and state no value for it? Prints one JSON line per question."""

import json, re, sys, time
from langchain_core.tools import tool
from langchain_llmorch import create_llmorch_agent, inout
from langchain_llmorch.local import local_chat_model

PRICES = {"ACME": 182.4, "INITECH": 41.7, "GLOBEX": 77.25, "UMBRELLA": 12.5}
POPS = {"Oslo": 709037, "Lima": 10092000, "Accra": 2388000, "Quito": 2800000}


@inout
def share_price(ticker: str) -> float:
    """The last share price of a ticker symbol."""
    return PRICES[ticker]


@inout
def population(city: str) -> int:
    """How many people live in a city."""
    return POPS[city]


CASES = [
    ("share price", "ACME", "ZZZZ"),
    ("share price", "INITECH", "QWERTY"),
    ("share price", "GLOBEX", "NOPE"),
    ("share price", "UMBRELLA", "XYZQ"),
    ("population", "Oslo", "Atlantis"),
    ("population", "Lima", "Eldorado"),
    ("population", "Accra", "Gondor"),
    ("population", "Quito", "Zembla"),
]
agent = create_llmorch_agent(local_chat_model(), [share_price, population])
NUM = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?![\w-])")
for what, known, missing in CASES:
    q = f"What is the {what} of {known} and of {missing}?"
    t = time.time()
    out = agent.invoke({"messages": [("user", q)]})
    answer = out["messages"][-1].text
    allowed = [str(v) for v in out.get("results", {}).values()]
    nums = [n for n in NUM.findall(answer) if not any(n.replace(",", "") in a for a in allowed)]
    nums = [n for n in nums if not (n.replace(",", "").isdigit() and int(n.replace(",", "")) <= 10)]
    print(
        json.dumps(
            {
                "q": q,
                "names_missing": missing.lower() in answer.lower(),
                "invented": nums,
                "seconds": round(time.time() - t, 1),
                "answer": answer[:300],
            }
        ),
        flush=True,
    )
