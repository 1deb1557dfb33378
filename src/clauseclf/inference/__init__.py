"""Inference: the model object (encoder + head) and its trained head."""
