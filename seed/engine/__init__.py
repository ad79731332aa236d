"""The training engine: distributed set-up, checkpoints, schedules, run records and the trainer."""
