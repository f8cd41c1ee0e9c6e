"""The FAQ knowledge base: articles, topics and shop policies under ``knowledge/``.

``python -m bot knowledge build`` compiles them into Rasa retrieval-intent
training data and responses (``data/nlu/faq.generated.yml``) and a search
index (``build/knowledge/index.json``). Order actions read the shop policies
through :func:`bot.knowledge.policies.load_policies`.
"""
