"""Teachers, students and the checkpoint layouts they are read from."""
from seed.models import official_students  # noqa: F401 - registers the authors' students and their layout
from seed.models.checkpoints import CheckpointError, load_checkpoint_weights
from seed.models.encoder import Encoder
from seed.models.pretrained import build_backbone, load_encoder
from seed.models.students import build_student
from seed.models.teachers import build_teacher
from seed.models import vit_layouts  # noqa: F401  (registers the DINO, DINOv2 and MoCo v3 ViT layouts)

__all__ = ["CheckpointError", "Encoder", "build_backbone", "build_student", "build_teacher",
           "load_checkpoint_weights", "load_encoder"]
