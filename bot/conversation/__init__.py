"""The conversation: the questions and what a reply does (questions), answers as accessible plain text
(render, text). Shared by the chat's action server, `zhucan ask`, Telegram and WeChat."""
