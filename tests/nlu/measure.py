"""Parse messages with a trained model in-process (rasa.core.agent.Agent) and time each parse.

    python tests/nlu/measure.py MODEL MESSAGES.json  ->  JSON on stdout:
    {"load_s": …, "median_ms": …, "p95_ms": …, "mean_ms": …, "parses": {text: {"intent": …, "entities": […]}}}

Run in its own process by tests/test_nlu_model.py, so that the test process does not load TensorFlow.
"""
import asyncio
import json
import logging
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


async def main(model: str, messages: list[str], rounds: int = 3) -> dict:
    from rasa.core.agent import Agent

    logging.disable(logging.INFO)
    start = time.perf_counter()
    agent = Agent.load(model)
    load_s = time.perf_counter() - start
    parses = {}
    for text in messages:
        result = await agent.parse_message(text)
        parses[text] = {"intent": (result.get("intent") or {}).get("name"),
                        "confidence": (result.get("intent") or {}).get("confidence"),
                        "entities": [{k: e[k] for k in ("entity", "start", "end", "value", "extractor") if k in e}
                                     for e in result.get("entities") or []]}
    times = []
    for _ in range(rounds):
        for text in messages:
            t = time.perf_counter()
            await agent.parse_message(text)
            times.append(time.perf_counter() - t)
    times.sort()
    return {"load_s": round(load_s, 2), "messages": len(times),
            "median_ms": round(1000 * statistics.median(times), 2),
            "p95_ms": round(1000 * times[int(0.95 * (len(times) - 1))], 2),
            "mean_ms": round(1000 * statistics.mean(times), 2), "parses": parses}


if __name__ == "__main__":
    with open(sys.argv[2], encoding="utf-8") as f:
        msgs = json.load(f)
    out = asyncio.run(main(sys.argv[1], msgs))
    sys.stdout.write("\n" + json.dumps(out, ensure_ascii=False) + "\n")
