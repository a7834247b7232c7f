"""The learned routing layer: corpus, features, sentence encoder, model and training.

The router (`bot.routing`) asks `LearnedModel.predict` for situation probabilities and combines
them with the rules; nothing here knows about doors. Training needs scikit-learn (the `train`
extra); running the model needs numpy only.
"""
