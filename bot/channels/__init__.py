"""Ways in to the conversation: the Telegram front end and the Rasa REST client it relays to, the
WeChat Official Account channel (a Rasa input channel in the conversation server), the Rasa channel
that deletes a conversation on request (/forget), and what every front end shares (common)."""
