"""Everything a person or a caseworker talks to, one package per job:

    conversation/  the questions, what a reply does, answers as accessible plain text
    nlu/, nlp/     the reader of messages, and the spaCy pipeline it is built on
    channels/      the front ends: terminal chat, REST, Telegram, WeChat
    plumbing/      Rasa: building the model, the servers, the conversation and lock stores
    caseworker/    the quick check and `zhucan ask`
    screening/     whole registries (`zhucan screen`)
    cli.py         the `zhucan` command
    domain/, data/ Rasa's domain and training data; credentials.yml, endpoints.yml its settings
"""
