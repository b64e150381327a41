"""What every stage shares: paths, the atomic folder swap, quiet TensorFlow, user errors, the model-folder schema.

Imports nothing from the stages and nothing heavy: the command line answers --help without TensorFlow.
"""
