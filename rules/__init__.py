"""The rule base (programs/*.yaml) and the engine that answers from it."""
