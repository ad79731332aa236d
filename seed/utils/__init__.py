"""Low helpers both `seed` and `downstream` use (distributed communication, file hashing); they import
nothing else of the project but its errors, so any module may depend on them."""
