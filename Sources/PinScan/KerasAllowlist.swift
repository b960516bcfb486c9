import PinModel

// The Keras objects a config may name without review: Keras 3's own built-in layers, activations,
// initializers, regularizers, constraints, optimizers, learning-rate schedules, losses, metrics,
// models and dtype policies (the public `keras.*` API), by name. Keras resolves a config object
// from `module` + `class_name` (for `"class_name": "function"`, the function named by `config`)
// by importing the module and fetching the name (keras/src/saving/serialization_lib.py,
// `_retrieve_class_or_fn`), so the module decides what runs: `keras.src.utils.file_utils` +
// `get_file` downloads files and `tensorflow.io` + `write_file` writes them. A name here is safe
// only under a Keras module (`keras…`, `tf_keras…`, `tensorflow.keras…`); anything else is judged
// the way a pickle callable is (PickleCallables): dangerous paths are `unsafe`, the rest
// `suspicious` until accepted with --allow-global MODULE.NAME. Not allowed, although Keras ships
// them: Lambda (marshalled bytecode), TFSMLayer (loads a SavedModel from a path),
// TorchModuleWrapper (unpickles a torch module), JaxLayer/FlaxLayer (wrap arbitrary callables).

enum KerasAllowlist {
    static let names: Set<String> = {
        var names: Set<String> = [
            // Models, inputs, dtype policies.
            "Sequential", "Functional", "Model", "InputLayer", "InputSpec", "Layer", "DTypePolicy", "FloatDTypePolicy",
            "QuantizedDTypePolicy", "QuantizedFloat8DTypePolicy", "DTypePolicyMap",
            // Core, merging, reshaping, normalization, regularization layers.
            "Dense", "EinsumDense", "Embedding", "Masking", "Identity", "Activation", "ActivityRegularization",
            "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
            "Flatten", "Reshape", "Permute", "RepeatVector", "Cropping1D", "Cropping2D", "Cropping3D",
            "UpSampling1D", "UpSampling2D", "UpSampling3D", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
            "BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization",
            "SpectralNormalization", "RMSNormalization", "Normalization",
            "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout",
            "GaussianNoise", "AlphaDropout",
            // Convolution and pooling.
            "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
            "Convolution1D", "Convolution2D", "Convolution3D", "Convolution2DTranspose", "Convolution3DTranspose",
            "SeparableConv1D", "SeparableConv2D", "SeparableConvolution1D", "SeparableConvolution2D",
            "DepthwiseConv1D", "DepthwiseConv2D", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D",
            "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "MaxPool1D", "MaxPool2D", "MaxPool3D",
            "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
            "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "GlobalMaxPool1D", "GlobalMaxPool2D",
            "GlobalMaxPool3D", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
            "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D",
            // Recurrent and attention.
            "RNN", "SimpleRNN", "SimpleRNNCell", "GRU", "GRUCell", "LSTM", "LSTMCell", "StackedRNNCells",
            "Bidirectional", "TimeDistributed", "Wrapper", "Attention", "AdditiveAttention",
            "MultiHeadAttention", "GroupQueryAttention",
            // Activation layers.
            "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "ThresholdedReLU",
            // Preprocessing layers.
            "CategoryEncoding", "Discretization", "Hashing", "HashedCrossing", "IntegerLookup", "StringLookup",
            "TextVectorization", "Rescaling", "Resizing", "CenterCrop", "RandomCrop", "RandomFlip",
            "RandomRotation", "RandomTranslation", "RandomZoom", "RandomHeight", "RandomWidth", "RandomContrast",
            "RandomBrightness", "MelSpectrogram", "STFTSpectrogram", "AutoContrast", "Solarization", "Equalization",
            "RandomGrayscale", "RandomHue", "RandomSaturation", "RandomSharpness", "RandomShear",
            "RandomColorDegeneration", "RandomColorJitter", "RandomPosterization", "MixUp", "CutMix",
            "RandAugment", "AugMix", "Pipeline",
            // Initializers.
            "Initializer", "Constant", "Zeros", "Ones", "RandomNormal", "RandomUniform", "TruncatedNormal",
            "VarianceScaling", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "LecunNormal",
            "LecunUniform", "Orthogonal", "OrthogonalInitializer", "IdentityInitializer", "STFTInitializer",
            // Regularizers and constraints.
            "Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer",
            "Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm",
            // Optimizers and schedules.
            "Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "Adamax", "Adadelta", "Adafactor", "Adagrad", "Nadam",
            "Ftrl", "Lamb", "Lion", "Muon", "LossScaleOptimizer", "LearningRateSchedule", "ExponentialDecay",
            "PiecewiseConstantDecay", "PolynomialDecay", "InverseTimeDecay", "CosineDecay", "CosineDecayRestarts",
            // Losses.
            "Loss", "BinaryCrossentropy", "BinaryFocalCrossentropy", "CategoricalCrossentropy",
            "CategoricalFocalCrossentropy", "SparseCategoricalCrossentropy", "MeanSquaredError",
            "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "Hinge",
            "SquaredHinge", "CategoricalHinge", "Huber", "LogCosh", "KLDivergence", "Poisson", "CosineSimilarity",
            "Dice", "Tversky", "CTC", "Circle",
            // Metrics.
            "Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy",
            "SparseCategoricalAccuracy", "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "AUC",
            "Precision", "Recall", "PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity",
            "SpecificityAtSensitivity", "TruePositives", "TrueNegatives", "FalsePositives", "FalseNegatives",
            "F1Score", "FBetaScore", "IoU", "BinaryIoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU", "R2Score",
            "RootMeanSquaredError", "LogCoshError", "PearsonCorrelation", "ConcordanceCorrelation",
        ]
        // Functions: activations, initializer/regularizer/constraint aliases, losses and metrics.
        names.formUnion([
            "celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish",
            "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish", "relu", "relu6", "selu",
            "sigmoid", "silu", "soft_shrink", "softmax", "softplus", "softsign", "sparse_plus", "sparsemax",
            "squareplus", "swish", "tanh", "tanh_shrink", "threshold",
            "constant", "zeros", "ones", "random_normal", "random_uniform", "truncated_normal", "variance_scaling",
            "glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "lecun_normal", "lecun_uniform",
            "orthogonal", "identity", "l1", "l2", "l1_l2", "orthogonal_regularizer", "max_norm", "min_max_norm",
            "non_neg", "unit_norm",
            "binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
            "categorical_focal_crossentropy", "sparse_categorical_crossentropy", "mean_squared_error",
            "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "mse", "mae",
            "mape", "msle", "hinge", "squared_hinge", "categorical_hinge", "huber", "log_cosh", "kl_divergence",
            "kld", "poisson", "cosine_similarity", "dice", "tversky", "ctc",
            "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
            "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy",
        ])
        return names
    }()

    /// Keras's own packages: a name from `names` is Keras's built-in only when it comes from one.
    static func isKerasModule(_ module: String) -> Bool {
        let prefixes = ["keras", "tf_keras", "tensorflow.keras", "tensorflow.python.keras"]
        return prefixes.contains { module == $0 || module.hasPrefix($0 + ".") }
    }

    /// The verdict for the object a config makes Keras build from `module` + `name`, and why.
    static func judge(module: String, name: String, policy: ScanPolicy) -> (Verdict, String?) {
        let (verdict, reason) = PickleCallables.classify(module: module, name: name, policy: policy)
        if verdict == .unsafe || verdict == .safe { return (verdict, reason) }
        // `"module": "builtins", "class_name": "function"`: Keras looks the name up among its own
        // activations, losses and metrics (BUILTIN_MODULES), never in Python's builtins.
        if isKerasModule(module) || module == "builtins", !name.contains("."), names.contains(name) { return (.safe, nil) }
        return (.suspicious, nil)
    }

    // MARK: TFOpLambda

    /// `TFOpLambda` / `SlicingOpLambda` layers (tf.keras) call the TensorFlow API function their
    /// config names (`"function": "math.add"`) when the model runs: math, neural-network, linear
    /// algebra, signal and image ops and the top-level array ops are allowed, dangerous functions
    /// are `unsafe` (PickleCallables), anything else `suspicious`.
    static let tfOpNamespaces = ["math.", "nn.", "linalg.", "signal.", "image.", "bitwise.", "__operators__.", "compat.v1.math.", "compat.v1.nn."]

    static func judgeTFOp(_ function: String, policy: ScanPolicy) -> (Verdict, String?) {
        let (verdict, reason) = PickleCallables.classify(module: "tensorflow", name: function, policy: policy)
        if verdict == .unsafe || verdict == .safe { return (verdict, reason) }
        if tfOpNamespaces.contains(where: { function.hasPrefix($0) }) || !function.contains(".") { return (.safe, nil) }
        return (.suspicious, nil)
    }
}
