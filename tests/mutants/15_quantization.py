"""Plausible wrong implementations of 15_quantization; `make check` proves the tests catch each one.

The seed project's bugs are here by name: "int8" stored as float32 (nothing shrinks), a constant tensor that
dequantizes to 0, size ratios from element counts. Also the issue's list: int8 stored as int32; floor or truncation
instead of rounding; no clipping (int8 wrap-around); a symmetric scale from max x instead of max|x|; the zero point's
sign; per-channel scales along the wrong axis (or not broadcast along their axis); an int8 or int16 accumulator; the
bias or the activation scale forgotten; an all-zero tensor that gives NaN; quantize_model mutating the original; a
percentile calibration that ignores its percentile. And: dequantize ignoring the zero point, a static input scale
ignored, stride ignored in the convolution, Conv2d left float by quantize_model.
"""
MUTANTS = [
    # ---- 1. calibrate
    dict(name="symmetric_scale_from_max_not_abs", cell="calibrate",
         find="scale = np.asarray(amax / 127.0)", replace="scale = np.asarray(hi / 127.0)",
         caught_by=["test_calibrate"]),
    dict(name="zero_point_sign", cell="calibrate",
         find="np.round(-128 - lo / scale)", replace="np.round(-128 + lo / scale)",
         caught_by=["test_calibrate"]),
    dict(name="percentile_ignored", cell="calibrate",
         find='if method == "minmax":', replace="if True:",
         caught_by=["test_calibrate"]),
    # only the hidden checks see it: a percentile other than the default
    dict(name="percentile_fixed_at_default", cell="calibrate",
         find="amax = np.percentile(np.abs(a), percentile, axis=reduce)",
         replace="amax = np.percentile(np.abs(a), 99.99, axis=reduce)",
         caught_by=["test_calibrate"]),
    # the seed's bug: a constant tensor's range is 0, its scale becomes 1, and it dequantizes to 0
    dict(name="range_without_zero", cell="calibrate",
         find="lo, hi = np.minimum(lo, 0.0), np.maximum(hi, 0.0)", replace="pass",
         caught_by=["test_calibrate", "test_quantize"]),
    # only the hidden checks see it: an all-zero tensor
    dict(name="zero_scale_not_guarded", cell="calibrate",
         find="scale = np.where(scale > 0, scale, 1.0).astype(np.float32)", replace="scale = scale.astype(np.float32)",
         caught_by=["test_calibrate", "test_quantize"]),

    # ---- 2. quantize / dequantize
    dict(name="int8_stored_as_float32", cell="quantize",
         find="data = q.astype(np.int8)", replace="data = q.astype(np.float32)",
         caught_by=["test_quantize", "test_quantized_linear"]),
    dict(name="int8_stored_as_int32", cell="quantize",
         find="data = q.astype(np.int8)", replace="data = q.astype(np.int32)",
         caught_by=["test_quantize", "test_quantized_linear"]),
    dict(name="floor_not_round", cell="quantize",
         find="q = np.round(a / s) + z", replace="q = np.floor(a / s) + z",
         caught_by=["test_quantize", "test_quantized_linear"]),
    dict(name="truncation_not_round", cell="quantize",
         find="q = np.round(a / s) + z", replace="q = (a / s).astype(np.int32) + z",
         caught_by=["test_quantize", "test_quantized_linear"]),
    dict(name="no_clipping", cell="quantize",
         find="q = np.clip(q, qmin, QMAX)", replace="q = q",
         caught_by=["test_quantize"]),
    # only the hidden checks see it: per-channel quantization along axis 0
    dict(name="per_channel_not_broadcast_along_axis", cell="quantize",
         find="s, z = _along(scale, a.ndim, axis), _along(zero_point, a.ndim, axis)", replace="s, z = scale, zero_point",
         caught_by=["test_quantize"]),
    dict(name="dequantize_ignores_zero_point", cell="quantize",
         find="return ((q.data.astype(np.int32) - z) * s).astype(np.float32)",
         replace="return (q.data.astype(np.int32) * s).astype(np.float32)",
         caught_by=["test_quantize"]),
    dict(name="nbytes_without_scales", cell="quantize",
         find="return int(self.data.nbytes + self.scale.nbytes + self.zero_point.nbytes)",
         replace="return int(self.data.nbytes)",
         caught_by=["test_quantize", "test_quantize_model"]),

    # ---- 3. QuantizedLinear
    dict(name="linear_per_channel_wrong_axis", cell="quantized_linear",
         find="weight = quantize(linear.weight.data, axis=1 if per_channel else None)",
         replace="weight = quantize(linear.weight.data, axis=0 if per_channel else None)",
         caught_by=["test_quantized_linear"]),
    dict(name="linear_int8_accumulator", cell="quantized_linear",
         find="acc = int_matmul(qx.data, self.weight.data)",
         replace="acc = qx.data @ self.weight.data",
         caught_by=["test_quantized_linear"]),
    dict(name="linear_int16_accumulator", cell="quantized_linear",
         find="acc = int_matmul(qx.data, self.weight.data)",
         replace="acc = qx.data.astype(np.int16) @ self.weight.data.astype(np.int16)",
         caught_by=["test_quantized_linear"]),
    dict(name="linear_bias_forgotten", cell="quantized_linear",
         find="out = out + self.bias", replace="out = out",
         caught_by=["test_quantized_linear"]),
    dict(name="linear_activation_scale_forgotten", cell="quantized_linear",
         find="out = acc * (qx.scale * self.weight.scale)", replace="out = acc * self.weight.scale",
         caught_by=["test_quantized_linear"]),
    # only the hidden checks see it: a static input_scale
    dict(name="linear_static_scale_ignored", cell="quantized_linear",
         find="scale = calibrate(a)[0] if self.input_scale is None else self.input_scale", replace="scale = calibrate(a)[0]",
         caught_by=["test_quantized_linear"]),

    # ---- 4. QuantizedConv2d
    dict(name="conv_int8_accumulator", cell="quantized_conv2d",
         find="acc = int_matmul(w2, cols)", replace="acc = np.matmul(w2, cols)",
         caught_by=["test_quantized_conv2d"]),
    # only the hidden checks see it: stride 2
    dict(name="conv_stride_ignored", cell="quantized_conv2d",
         find="cols = im2col(qx.data, (kH, kW), self.stride, self.padding)", replace="cols = im2col(qx.data, (kH, kW), 1, self.padding)",
         caught_by=["test_quantized_conv2d"]),

    # ---- 5. quantize_model / model_bytes
    dict(name="quantize_model_mutates_original", cell="quantize_model",
         find="prepared = _map_modules(copy.deepcopy(model),", replace="prepared = _map_modules(model,",
         caught_by=["test_quantize_model"]),
    dict(name="quantize_model_dynamic_not_static", cell="quantize_model",
         find="return kind.from_float(m.layer, per_channel, input_scale=calibrate(np.float32(m.max_abs))[0])",
         replace="return kind.from_float(m.layer, per_channel)",
         caught_by=["test_quantize_model"]),
    # the seed's bug: sizes from element counts
    dict(name="model_bytes_counts_elements", cell="quantize_model",
         find="total += obj.data.nbytes", replace="total += obj.data.size",
         caught_by=["test_quantize_model"]),
    # only the hidden checks see it: a CNN
    dict(name="quantize_model_skips_conv2d", cell="quantize_model",
         find="lambda m: _Observer(m) if isinstance(m, (Linear, Conv2d)) else None",
         replace="lambda m: _Observer(m) if isinstance(m, Linear) else None",
         caught_by=["test_quantize_model"]),
    # ---- holes closed by the review (review-15): each scored full marks before its check existed
    # only the hidden checks see it: a per-channel percentile (the reduction axes forgotten in np.percentile)
    dict(name="percentile_ignores_axis", cell="calibrate",
         find="amax = np.percentile(np.abs(a), percentile, axis=reduce)",
         replace="amax = np.percentile(np.abs(a), percentile)",
         caught_by=["test_calibrate"]),
    # hostile: float32 values in an ndarray subclass that reports dtype int8, nbytes = size and int tolist()
    dict(name="float32_dressed_as_int8", cell="quantize",
         find="data = q.astype(np.int8)",
         replace='data = q.astype(np.float32).view(type("ndarray", (np.ndarray,), {"dtype": property(lambda self: np.dtype(np.int8)), "nbytes": property(lambda self: self.size), "tolist": lambda self: np.asarray(self).astype(int).tolist(), "astype": lambda self, t: np.asarray(self).astype(t)}))',
         caught_by=["test_quantize"]),
    # hostile: quantize keeps a float copy when it calibrated, and dequantize returns it (error 0 < scale / 2)
    dict(name="dequantize_from_hidden_float_copy", cell="quantize",
         find='    if scale is None:\n        scale, zero_point = calibrate(a, symmetric=symmetric, axis=axis)\n    scale = np.asarray(scale, dtype=np.float32)\n    zero_point = np.zeros(scale.shape, np.int32) if zero_point is None else np.asarray(zero_point, dtype=np.int32)\n    qmin = -QMAX if symmetric else QMIN\n    s, z = _along(scale, a.ndim, axis), _along(zero_point, a.ndim, axis)\n    q = np.round(a / s) + z\n    q = np.clip(q, qmin, QMAX)\n    data = q.astype(np.int8)\n    return QuantizedTensor(data, scale, zero_point, axis)\n\n\ndef dequantize(q):\n    """float32 ndarray (q.data - q.zero_point) * q.scale, scale and zero_point broadcast along q.axis."""\n    s, z = _along(q.scale, q.data.ndim, q.axis), _along(q.zero_point, q.data.ndim, q.axis)\n    return ((q.data.astype(np.int32) - z) * s).astype(np.float32)',
         replace='    calibrated = scale is None\n    if scale is None:\n        scale, zero_point = calibrate(a, symmetric=symmetric, axis=axis)\n    scale = np.asarray(scale, dtype=np.float32)\n    zero_point = np.zeros(scale.shape, np.int32) if zero_point is None else np.asarray(zero_point, dtype=np.int32)\n    qmin = -QMAX if symmetric else QMIN\n    s, z = _along(scale, a.ndim, axis), _along(zero_point, a.ndim, axis)\n    q = np.round(a / s) + z\n    q = np.clip(q, qmin, QMAX)\n    data = q.astype(np.int8)\n    out = QuantizedTensor(data, scale, zero_point, axis)\n    if calibrated:\n        out.float_copy = a.copy()\n    return out\n\n\ndef dequantize(q):\n    """float32 ndarray (q.data - q.zero_point) * q.scale, scale and zero_point broadcast along q.axis."""\n    if hasattr(q, "float_copy"):\n        return q.float_copy\n    s, z = _along(q.scale, q.data.ndim, q.axis), _along(q.zero_point, q.data.ndim, q.axis)\n    return ((q.data.astype(np.int32) - z) * s).astype(np.float32)',
         caught_by=["test_quantize"]),
    # only the hidden checks see it: per_channel=False
    dict(name="conv_per_channel_flag_ignored", cell="quantized_conv2d",
         find="weight = quantize(conv.weight.data, axis=0 if per_channel else None)",
         replace="weight = quantize(conv.weight.data, axis=0)",
         caught_by=["test_quantized_conv2d"]),
    dict(name="quantize_model_per_channel_ignored", cell="quantize_model",
         find="kind.from_float(m.layer, per_channel, input_scale",
         replace="kind.from_float(m.layer, True, input_scale",
         caught_by=["test_quantize_model"]),
    # hostile: the layer's weight swapped for float32 values dressed as int8 after quantize
    dict(name="linear_weight_float32_dressed_as_int8", cell="quantized_linear",
         find="weight = quantize(linear.weight.data, axis=1 if per_channel else None)",
         replace=('weight = quantize(linear.weight.data, axis=1 if per_channel else None)\n'
                  '        weight.data = weight.data.astype(np.float32).view(type("ndarray", (np.ndarray,), '
                  '{"dtype": property(lambda self: np.dtype(np.int8)), "astype": lambda self, t: np.asarray(self).astype(t)}))'),
         caught_by=["test_quantized_linear"]),
    dict(name="linear_bias_aliased", cell="quantized_linear",
         find="bias = None if linear.bias is None else linear.bias.data.astype(np.float32).copy()",
         replace="bias = None if linear.bias is None else linear.bias.data",
         caught_by=["test_quantized_linear"]),
]
