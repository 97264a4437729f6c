"""Training and measuring the classifier: labelled data, augmentations, self-blended images, fine-tuning,
calibration, evaluation and ONNX export. Needs the ``[train]`` extra (torch); scanning never imports it.
"""
