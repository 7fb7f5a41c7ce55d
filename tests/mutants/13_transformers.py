"""Plausible wrong implementations of 13_transformers; `make check` proves the tests catch each one.

The seed project's bug is here by name: LayerNorm whose variance (or mean) is a constant to autograd (right forward,
wrong gradient). Also: the unbiased variance, eps outside the square root, normalizing over the wrong axes, affine
parameters cut from the graph or applied in the wrong order.
"""
MUTANTS = [
    # ---- 1. LayerNorm
    # the seed project's bug: the forward is right, the gradient misses the variance's term
    dict(name="variance_detached", cell="layer_norm",
         find="var = (centered * centered).mean(axis=axes, keepdims=True)",
         replace="var = (centered * centered).mean(axis=axes, keepdims=True).detach()",
         caught_by=["test_layer_norm_gradients"]),
    dict(name="mean_detached", cell="layer_norm",
         find="centered = x - mean", replace="centered = x - mean.detach()",
         caught_by=["test_layer_norm_gradients"]),
    dict(name="unbiased_variance", cell="layer_norm",
         find="var = (centered * centered).mean(axis=axes, keepdims=True)",
         replace="var = (centered * centered).sum(axis=axes, keepdims=True) * (1.0 / (int(np.prod(self.normalized_shape)) - 1))",
         caught_by=["test_layer_norm", "test_layer_norm_gradients"]),
    # only the hidden forward checks see it: a variance comparable to eps
    dict(name="eps_outside_sqrt", cell="layer_norm",
         find="out = centered * (var + self.eps) ** -0.5", replace="out = centered * (var ** 0.5 + self.eps) ** -1",
         caught_by=["test_layer_norm"]),
    dict(name="normalized_over_the_batch", cell="layer_norm",
         find="axes = tuple(range(-n, 0))", replace="axes = 0",
         caught_by=["test_layer_norm", "test_layer_norm_gradients"]),
    # only the hidden checks see it: normalized_shape of two dimensions
    dict(name="last_axis_only", cell="layer_norm",
         find="axes = tuple(range(-n, 0))", replace="axes = -1",
         caught_by=["test_layer_norm", "test_layer_norm_gradients"]),
    # only the hidden gradient checks see it: gradients with respect to weight and bias
    dict(name="affine_parameters_detached", cell="layer_norm",
         find="out = out * self.weight + self.bias", replace="out = out * self.weight.detach() + self.bias.detach()",
         caught_by=["test_layer_norm_gradients"]),
    dict(name="bias_added_before_the_scale", cell="layer_norm",
         find="out = out * self.weight + self.bias", replace="out = (out + self.bias) * self.weight",
         caught_by=["test_layer_norm"]),
]
