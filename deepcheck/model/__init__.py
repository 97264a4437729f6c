"""The classifier: model cards, the runtimes that score face crops, and scores rolled up into verdicts.

``card`` reads a model card, ``shipped`` says where the shipped models live, ``classifier`` loads
and checks a model (ONNX Runtime through ``onnx_runtime``, or PyTorch), ``scoring`` turns face
scores into a file's score and verdict, and ``explain`` draws the thumbnails and Grad-CAM heatmaps.
``runtime`` tunes the process for inference.
"""
