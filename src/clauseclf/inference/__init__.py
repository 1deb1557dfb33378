"""Inference: the model object (``model``: encoder + head + taxonomy, one folder) and the
practice map (``practices``); the trained head is ``clauseclf.head``."""
