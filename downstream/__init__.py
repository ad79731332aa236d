"""downstream: the benchmark suite that measures students (kNN, linear probes, detection, segmentation).

It depends on `seed` to load students, never the other way round. Detectron2 and
MMSegmentation integrations import their libraries only when used.
"""
