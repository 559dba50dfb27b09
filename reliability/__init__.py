"""The reliability and security suite: fault and bad-input scenarios, each repeated, counted, tabled.

``comfyreel reliability`` runs :func:`comfyreel.reliability.suite.run_suite` and prints one
row per scenario (runs, passed, lost, hung and the scenario's own metric); it exits non-zero when any
scenario misses its target. Every run has a hard deadline, so a hang is counted, never experienced.
"""
