"""Config files, installed as two packages (see setup.py, seed/config.py): `seed.configs` (distill/, eval/)
and `downstream.configs` (detection/, mmdet/, segmentation/, bench/: recipes that name `downstream`)."""
