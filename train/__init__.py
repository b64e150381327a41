"""Training stage: subclassed Keras models fitted with GradientTape loops."""

from train.quiet import quiet_tensorflow

# Runs before any submodule imports TensorFlow, so its C++ logging is configured in time.
quiet_tensorflow()
