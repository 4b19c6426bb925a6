"""Defaults that more than one part of the product reads: written once, here, and imported.

Plain constants with no imports, so the command line can show them in --help without loading
anything heavy. A saved calibration records the classifier values it was made with.
"""

DEFAULT_MODEL = "all-MiniLM-L6-v2"
DEFAULT_CODEBOOK = "rfi_themes"  # a shipped codebook (themes.codebooks), found from any folder

# The classifiers' inverse regularisation strength and the weight of TF-IDF word features beside the
# embedding. Chosen by 5-fold cross-validation on the calibration splits: for themes C=4 with words
# (kappa 0.68-0.71 against 0.61 embedding only); for dimensions C=4 (0.826 at C=2, 0.834 at C=8).
# Word weight 2, with the question word and the kept negation words: themes primary kappa 0.800 ->
# 0.804 over fold seeds 0-2 with every theme's kappa higher (trust 0.787 -> 0.818, cultural
# differences 0.782 -> 0.794, resource needs 0.752 -> 0.755), framework mean kappa 0.855 -> 0.873
# over seeds 0-1 with every dimension higher; 1.5, 3 and 4 scored lower or equal (README, ablation).
CLASSIFIER_C = 4.0
WORD_WEIGHT = 2.0

# The themes' scores mixed with a vote of the coded passages nearest in meaning (themes.classify.neighbour_vote):
# the vote's weight, how many neighbours vote, and how sharply the nearer ones count (softmax temperature on the
# cosine). Chosen by 5-fold cross-validation on the calibration split: primary kappa 0.804 -> 0.812 over fold
# seeds 0-2 (each seed higher), 0.807 -> 0.814 with folds of whole writers (each higher); weight 0.1, 5 or 15
# neighbours and temperature 0.2 scored lower, temperature 0.02 higher in mixed folds (0.814) but lower by writer
# (0.812) (README, ablation). Only with coded passages: over a codebook's few examples alone it blurs them.
NEIGHBOUR_WEIGHT = 0.2
NEIGHBOURS = 10
NEIGHBOUR_TEMPERATURE = 0.05

# The question each passage answers, as a word of its word features (see classify.with_question).
USE_QUESTION = True

# Thresholds before calibration: on a logistic score (probability) and on a zero-shot cosine.
DEFAULT_THRESHOLD = 0.5
PROTOTYPE_THRESHOLD = 0.45

SEGMENT_WORDS = 60

# Where the model runs: auto picks a CUDA GPU, then Apple's MPS, then the CPU.
DEVICES = ("auto", "cpu", "cuda", "mps")

# The files `--backend onnx` may run, exported once from the local model: int8 weights (the default) or fp32.
ONNX_INT8 = "onnx/model_quint8.onnx"
ONNX_FP32 = "onnx/model.onnx"
ONNX_FILES = {ONNX_INT8: "int8", ONNX_FP32: "fp32"}
