"""seed: self-supervised distillation of small vision backbones (SEED and peers).

Importing `seed` pulls in neither Detectron2 nor MMSegmentation; those
integrations live in `downstream` and import their libraries only when used.
"""
__version__ = "0.1.0"
