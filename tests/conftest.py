"""Shared pytest hooks.

NLU figures (tests/test_nlu_model.py) and the stress-set tables (tests/test_nlu_stress.py): printed at
the end of every run that measured them, whatever the output capturing (-s or not), so that `make test`
shows them.
"""


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: trains a model or starts servers (runs once per session)")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    scores = getattr(config, "zhucan_nlu_scores", None)
    if scores:
        terminalreporter.section("NLU scores")
        for line in scores.splitlines():
            terminalreporter.write_line(line)
    replies = getattr(config, "zhucan_replies_scores", None)
    if replies:
        terminalreporter.section("Replies to a closed question (tests/nlu/replies_blind.yml)")
        for line in replies.splitlines():
            terminalreporter.write_line(line)
    stress = getattr(config, "zhucan_stress_scores", None)
    if stress:
        terminalreporter.section("NLU stress set")
        for line in stress.splitlines():
            terminalreporter.write_line(line)
