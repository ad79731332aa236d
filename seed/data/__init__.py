"""Data: image sources (ImageFolder, TSV, file lists), augmentation recipes and resumable loading."""
