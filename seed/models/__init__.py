"""Teachers, students and the checkpoint layouts they are read from."""
from seed.models import official_students  # noqa: F401 - registers the authors' students with timm
from seed.models.checkpoints import CheckpointError
from seed.models.layouts import load_checkpoint_weights
from seed.models.encoder import Encoder
from seed.models.pretrained import build_backbone, load_encoder
from seed.models.students import build_student
from seed.models.teachers import build_teacher

__all__ = ["CheckpointError", "Encoder", "build_backbone", "build_student", "build_teacher",
           "load_checkpoint_weights", "load_encoder"]
