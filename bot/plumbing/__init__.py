"""Rasa plumbing: building the spaCy pipeline and the model (build), the generated part of the domain
(rasa_domain), the servers (serve), the conversation and lock stores (stores, tracker_store, lock_store)
and the patches to Rasa's runtime (rasa_runtime)."""
