"""The embedding model: its bundled files, the ONNX export for fast CPU inference, the
embedder, and the vectors kept between builds by text hash. Knows nothing else of ``index``."""
