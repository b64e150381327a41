"""Export stage: trained SavedModels to tf.js models with metadata and golden outputs."""

from train.quiet import quiet_tensorflow

quiet_tensorflow()
