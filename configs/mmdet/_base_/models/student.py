# What every student detector here shares: our modules registered in MMDetection
# (downstream/mmdet: SeedTIMMBackbone, SeedLastStage), and RGB input normalised with the
# ImageNet statistics the students were distilled with (MMDetection's caffe-C4 bases feed BGR
# without std). A model base lists this file after MMDetection's own model file.
custom_imports = dict(imports=['downstream.mmdet'], allow_failed_imports=False)
data_preprocessor = dict(
    type='DetDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_size_divisor=32)
