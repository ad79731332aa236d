"""Config files (YAML). Installed as the package `seed.configs`; see seed/config.py."""
