"""The conversation side of zhucan: the CLI, renderers, Rasa data and channels."""
