"""Ways in to the conversation: the Telegram front end, the Rasa REST client it relays to,
and the Rasa channel that deletes a conversation on request (/forget)."""
