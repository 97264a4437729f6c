"""Finding faces: MTCNN on ONNX Runtime (``mtcnn``), face boxes and crops in the model's framing
(``detect``), and faces followed between fully searched video frames (``tracking``).
"""
