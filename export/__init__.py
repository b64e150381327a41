"""Export stage: trained SavedModels to tf.js models with metadata and golden outputs."""
