"""Training stage: subclassed Keras models fitted with GradientTape loops."""
