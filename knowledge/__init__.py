"""The knowledge the bot answers from: the source documents, their clauses, and the knowledge base built from them."""
