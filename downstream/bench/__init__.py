"""`seed bench`: a student's whole downstream suite from one command, resumable, locally or as SLURM jobs.

A suite (configs/bench/*.yaml) lists stages: conversions, `seed eval` protocols and the Detectron2,
MMDetection and MMSegmentation recipes. Each stage runs the command a user would type, with its log in
its own folder keyed by the student's sha256 and the stage's resolved config, so running the same
command again skips finished stages and resumes interrupted ones; the records become `report.md`.
"""
