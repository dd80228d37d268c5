"""zhucan's NLU: custom Rasa components (components.py) around plain-Python rules (extract.py,
normalise.py) that other code can call without Rasa:

    from bot.nlu.extract import extract
    extract("我爸在太原，肢体一级")  # [{"entity": "subject", "start": 0, "end": 2, "value": "father"}, …]

config.yml names the components by their module path: bot.nlu.components.TextNormaliser and
bot.nlu.components.LexiconEntityExtractor. This package itself imports nothing heavy (no Rasa).
"""
