"""What the MMSegmentation and MMDetection integrations share: one timm-student backbone (registered
in both libraries' registries by their own packages), student weights read from any layout or a
converted file, data set checks, and mmengine Runner glue that writes result records.

Its modules import mmengine (not mmseg or mmdet); `import seed` and `import downstream` never do.
"""
