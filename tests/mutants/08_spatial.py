"""Plausible wrong implementations of 08_spatial; `make check` proves the tests catch each one.

The seed project's known mistakes are here by name: a flipped kernel, channels mixed up in im2col, padding on one
side only, stride ignored in the forward or the backward, off-by-one output sizes, max-pool gradients to every
tie, an average pool computed on .data, batch norm with detached statistics, eval mode on batch statistics,
a biased running_var, and a Flatten that re-wraps .data. Also (review-08): a conv2d or an average pool\ncomposed from tensor ops without the rule the module asks for, max-pool ties broken column by column, and\nrunning statistics that turn float64.
"""
MUTANTS = [
    # ---- 1. conv2d_loops
    dict(name="loops_kernel_flipped", cell="conv2d_loops",
         find="np.sum(window * w[o])", replace="np.sum(window * w[o, :, ::-1, ::-1])",
         caught_by=["test_conv2d_loops"]),
    dict(name="loops_output_size_without_plus_one", cell="conv2d_loops",
         find="H_out = (H + 2 * ph - kH) // sh + 1", replace="H_out = (H + 2 * ph - kH) // sh",
         caught_by=["test_conv2d_loops"]),
    dict(name="loops_padding_on_one_side", cell="conv2d_loops",
         find="(ph, ph), (pw, pw)", replace="(0, 2 * ph), (0, 2 * pw)",
         caught_by=["test_conv2d_loops"]),
    dict(name="loops_no_bias", cell="conv2d_loops",
         find="out[n, o] += b[o]", replace="pass",
         caught_by=["test_conv2d_loops"]),
    # only the hidden checks see these: non-square padding and stride
    dict(name="loops_width_padded_by_row_padding", cell="conv2d_loops",
         find="(ph, ph), (pw, pw)", replace="(ph, ph), (ph, ph)",
         caught_by=["test_conv2d_loops"]),
    dict(name="loops_columns_step_by_row_stride", cell="conv2d_loops",
         find="j * sw:j * sw + kW", replace="j * sh:j * sh + kW",
         caught_by=["test_conv2d_loops"]),
    # ---- 2. im2col / col2im
    dict(name="im2col_channels_after_kernel_offsets", cell="im2col",
         find="windows.transpose(0, 1, 4, 5, 2, 3)", replace="windows.transpose(0, 4, 5, 1, 2, 3)",
         caught_by=["test_im2col", "test_conv2d"]),
    dict(name="col2im_assigns_instead_of_adding", cell="im2col",
         find="+= blocks[:, :, p, q]", replace="= blocks[:, :, p, q]",
         caught_by=["test_im2col", "test_conv2d"]),
    dict(name="im2col_padding_on_one_side", cell="im2col",
         find="xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))",
         replace="xp = np.pad(x, ((0, 0), (0, 0), (0, 2 * ph), (0, 2 * pw)))",
         caught_by=["test_im2col", "test_conv2d"]),
    # only the hidden checks see these: stride > 1, padding in the adjoint
    dict(name="col2im_ignores_stride", cell="im2col",
         find="out[:, :, p:p + sh * H_out:sh, q:q + sw * W_out:sw]", replace="out[:, :, p:p + H_out, q:q + W_out]",
         caught_by=["test_im2col", "test_conv2d"]),
    dict(name="im2col_output_size_rounds_the_wrong_way", cell="im2col",
         find="    H_out = (H + 2 * ph - kH) // sh + 1\n    W_out = (W + 2 * pw - kW) // sw + 1\n    xp = np.pad",
         replace="    H_out = (H + 2 * ph - kH + 1) // sh\n    W_out = (W + 2 * pw - kW + 1) // sw\n    xp = np.pad",
         caught_by=["test_im2col"]),
    dict(name="col2im_crops_the_wrong_side", cell="im2col",
         find="out[:, :, ph:ph + H, pw:pw + W]", replace="out[:, :, :H, :W]",
         caught_by=["test_im2col"]),
    # ---- 3. conv2d op
    dict(name="conv2d_kernel_flipped", cell="conv2d",
         find="W2 = w.data.reshape(C_out, -1).astype(", replace="W2 = w.data[:, :, ::-1, ::-1].reshape(C_out, -1).astype(",
         caught_by=["test_conv2d"]),
    dict(name="stride1_kernel_without_padding", cell="conv2d",
         find="W2, (kH, kW), padding,", replace="W2, (kH, kW), (0, 0),",
         caught_by=["test_conv2d"]),
    dict(name="grad_weight_from_first_image_only", cell="conv2d",
         find="np.matmul(g2, cols.transpose(0, 2, 1)).sum(axis=0)", replace="np.matmul(g2, cols.transpose(0, 2, 1))[0]",
         caught_by=["test_conv2d"]),
    dict(name="stride1_forward_without_bias", cell="conv2d",
         find="None if b is None else b.data)", replace="None)",
         caught_by=["test_conv2d"]),
    dict(name="stride1_bias_gradient_never_asked", cell="conv2d",
         find="need_b = len(out._inputs) == 3 and out._inputs[2].requires_grad",
         replace="need_b = len(out._inputs) == 3 and out._inputs[2].requires_grad and cols is not None",
         caught_by=["test_conv2d"]),
    dict(name="grad_bias_averaged_over_batch", cell="conv2d",
         find="g.sum(axis=(0, 2, 3))", replace="g.sum(axis=(2, 3)).mean(axis=0)",
         caught_by=["test_conv2d"]),
    # only the hidden checks see these: stride > 1 in the backward, no bias
    dict(name="backward_ignores_stride", cell="conv2d",
         find="col2im(grad_cols, x.shape[2:], w.shape[2:], stride, padding)",
         replace="col2im(grad_cols, x.shape[2:], w.shape[2:], 1, padding)",
         caught_by=["test_conv2d"]),
    # only the hidden checks see this: a weight-only gradient through the stride-1 kernel
    dict(name="stride1_gradient_flags_swapped", cell="conv2d",
         find="x.requires_grad,\n                                                       w.requires_grad, need_b)",
         replace="w.requires_grad,\n                                                       x.requires_grad, need_b)",
         caught_by=["test_conv2d"]),
    dict(name="grad_rule_assumes_a_bias", cell="conv2d",
         find="    if len(out._inputs) == 2:\n        return grad_x, grad_w\n", replace="",
         caught_by=["test_conv2d"]),
    # correct values and gradients, but composed from tensor ops (pad, integer getitem, matmul): grad_conv2d
    # is never written or used; only the hidden check that conv2d records one op "conv2d" sees it
    dict(name="conv2d_composed_without_its_rule", cell="conv2d",
         find='    return Tensor.from_op(out, "conv2d", *inputs, cols=cols, stride=stride, padding=padding)\n',
         replace='    from tinytorch.tensor import pad as _pad\n'
                 '    (sh, sw), (ph, pw) = stride, padding\n'
                 '    xp = _pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x\n'
                 '    c_, p_, q_ = np.meshgrid(np.arange(C_in), np.arange(kH), np.arange(kW), indexing="ij")\n'
                 '    i_, j_ = np.meshgrid(np.arange(H_out), np.arange(W_out), indexing="ij")\n'
                 '    rows = p_.reshape(-1, 1) + sh * i_.reshape(1, -1)\n'
                 '    columns = q_.reshape(-1, 1) + sw * j_.reshape(1, -1)\n'
                 '    channels = np.broadcast_to(c_.reshape(-1, 1), rows.shape)\n'
                 '    y = w.reshape(C_out, -1) @ xp[:, channels, rows, columns]\n'
                 '    if b is not None:\n'
                 '        y = y + b.reshape(1, C_out, 1)\n'
                 '    return y.reshape(N, C_out, H_out, W_out)\n',
         caught_by=["test_conv2d"]),
    # ---- 4. Conv2d module
    dict(name="init_fan_in_is_in_channels", cell="conv2d_module",
         find="        fan_in = in_channels * kH * kW", replace="        fan_in = in_channels",
         caught_by=["test_conv2d_module"]),
    dict(name="module_ignores_stride", cell="conv2d_module",
         find="conv2d(x, self.weight, self.bias, self.stride, self.padding)",
         replace="conv2d(x, self.weight, self.bias, 1, self.padding)",
         caught_by=["test_conv2d_module"]),
    # only the hidden checks see these: in_channels != out_channels, bias=False
    dict(name="init_fan_in_uses_out_channels", cell="conv2d_module",
         find="        fan_in = in_channels * kH * kW", replace="        fan_in = out_channels * kH * kW",
         caught_by=["test_conv2d_module"]),
    dict(name="bias_false_keeps_zero_bias", cell="conv2d_module",
         find="b = np.random.uniform(-bound, bound, out_channels) if bias else None\n"
              "        self.bias = Tensor(b.astype(np.float32), requires_grad=True) if bias else None",
         replace="b = np.random.uniform(-bound, bound, out_channels) if bias else np.zeros(out_channels)\n"
                 "        self.bias = Tensor(b.astype(np.float32), requires_grad=True)",
         caught_by=["test_conv2d_module"]),
    # ---- 5. pooling
    dict(name="max_pool_gradient_to_every_tie", cell="pooling",
         find="np.multiply(g, arg == k, out=grad[slots])",
         replace="np.multiply(g, x.data[slots] == out.data, out=grad[slots])",
         caught_by=["test_pooling"]),
    dict(name="avg_pool_detached", cell="pooling",
         find='return Tensor.from_op(out, "avg_pool2d", x, kernel=(kH, kW), stride=(sh, sw))',
         replace="return Tensor(out)",
         caught_by=["test_pooling"]),
    dict(name="max_pool_backward_ignores_stride", cell="pooling",
         find="slice(p, p + sh * H_out, sh), slice(q, q + sw * W_out, sw))",
         replace="slice(p, p + H_out), slice(q, q + W_out))",
         caught_by=["test_pooling"]),
    dict(name="avg_pool_forward_ignores_stride", cell="pooling",
         find="axis=(2, 3))[:, :, ::sh, ::sw]\n    out = windows.mean", replace="axis=(2, 3))\n    out = windows.mean",
         caught_by=["test_pooling"]),
    # every value right, but the LAST maximum of a window gets the gradient
    dict(name="max_pool_ties_keep_the_last", cell="pooling",
         find="        arg += ~found                           # no offset before k held the maximum\n"
              "        if k < kH * kW - 1:\n            found |= views[k] == out\n",
         replace="        arg[views[k] == out] = k\n",
         caught_by=["test_pooling"]),
    # only the hidden checks see these: overlapping windows, non-square kernels
    dict(name="avg_pool_backward_assigns_overlaps", cell="pooling",
         find="+= share", replace="= share",
         caught_by=["test_pooling"]),
    # the write-once path of tiled windows taken for overlapping ones too: overlaps are assigned, not added
    dict(name="max_pool_overlaps_written_once", cell="pooling",
         find="tiled = (sh, sw) == (kH, kW)", replace="tiled = True",
         caught_by=["test_pooling"]),
    dict(name="max_pool_offset_from_kernel_height", cell="pooling",
         find="p, q = k // kW, k % kW", replace="p, q = k // kH, k % kH",
         caught_by=["test_pooling"]),
    # offsets scanned column by column: the same maxima and gradients, except which tie is "first"
    dict(name="max_pool_ties_in_column_major_order", cell="pooling",
         find="    found = views[0] == out\n    for k in range(1, kH * kW):\n        arg += ~found                           # no offset before k held the maximum\n"
              "        if k < kH * kW - 1:\n            found |= views[k] == out\n",
         replace="    order = sorted(range(kH * kW), key=lambda k: (k % kW, k // kW))\n"
                 "    arg[...] = order[-1]\n    for k in order[-2::-1]:\n        arg[views[k] == out] = k\n",
         caught_by=["test_pooling"]),
    # correct values and gradients from a sum of strided slices: grad_avg_pool2d never runs
    dict(name="avg_pool_composed_without_its_rule", cell="pooling",
         find='    return Tensor.from_op(out, "avg_pool2d", x, kernel=(kH, kW), stride=(sh, sw))\n',
         replace="    H_out, W_out = out.shape[2:]\n"
                 "    total = sum(x[:, :, p:p + sh * (H_out - 1) + 1:sh, q:q + sw * (W_out - 1) + 1:sw]\n"
                 "                for p in range(kH) for q in range(kW))\n"
                 "    return total * (1.0 / (kH * kW))\n",
         caught_by=["test_pooling"]),
    # ---- 6. batch_norm_composed
    dict(name="batchnorm_detaches_statistics", cell="batchnorm_composed",
         find="mean = x.mean(axis=axes, keepdims=True)\n        centered = x - mean\n"
              "        var = (centered * centered).mean(axis=axes, keepdims=True)",
         replace="mean = Tensor(x.data.mean(axis=axes, keepdims=True))\n        centered = x - mean\n"
                 "        var = Tensor(x.data.var(axis=axes, keepdims=True))",
         caught_by=["test_batchnorm_composed"]),
    dict(name="eval_uses_batch_statistics", cell="batchnorm_composed",
         find="    if training:\n", replace="    if True:\n",
         caught_by=["test_batchnorm_composed"]),
    dict(name="running_var_biased", cell="batchnorm_composed",
         find="m * var.data.reshape(-1) * n / (n - 1)", replace="m * var.data.reshape(-1)",
         caught_by=["test_batchnorm_composed"]),
    dict(name="momentum_weights_swapped", cell="batchnorm_composed",
         find="(1 - m) * _buffer(running_mean) + m * mean.data.reshape(-1)",
         replace="m * _buffer(running_mean) + (1 - m) * mean.data.reshape(-1)",
         caught_by=["test_batchnorm_composed"]),
    # only the hidden checks see these: a non-trivial weight, tiny variances, float64 batches, an (N, C) input
    dict(name="batchnorm_forgets_weight", cell="batchnorm_composed",
         find="scale = weight.reshape(shape) * scale", replace="scale = scale",
         caught_by=["test_batchnorm_composed"]),
    dict(name="eps_outside_the_square_root", cell="batchnorm_composed",
         find="scale = (var + eps) ** -0.5", replace="scale = (var ** 0.5 + eps) ** -1.0",
         caught_by=["test_batchnorm_composed"]),
    dict(name="running_statistics_rebound_as_float64", cell="batchnorm_composed",
         find="            _buffer(running_mean)[...] = (1 - m) * _buffer(running_mean) + m * mean.data.reshape(-1)\n"
              "            _buffer(running_var)[...] = (1 - m) * _buffer(running_var) + m * var.data.reshape(-1) * n / (n - 1)",
         replace="            running_mean.data = (1 - m) * _buffer(running_mean) + m * mean.data.reshape(-1)\n"
                 "            running_var.data = (1 - m) * _buffer(running_var) + m * var.data.reshape(-1) * n / (n - 1)",
         caught_by=["test_batchnorm_composed"]),
    dict(name="statistics_over_axes_0_2_3_only", cell="batchnorm_composed",
         find="    if training:\n        mean = x.mean(axis=axes, keepdims=True)",
         replace="    if training:\n        axes = (0, 2, 3)\n        mean = x.mean(axis=axes, keepdims=True)",
         caught_by=["test_batchnorm_composed"]),
    # ---- 6b. the fused op and its rule
    dict(name="fused_unbiased_variance", cell="batchnorm_fused",
         find='var = np.einsum("ncl,ncl->c", x_hat, x_hat) / n ', replace='var = np.einsum("ncl,ncl->c", x_hat, x_hat) / (n - 1) ',
         caught_by=["test_batchnorm_fused", "test_batchnorm_fused_gradients"]),
    dict(name="fused_running_var_biased", cell="batchnorm_fused",
         find="running_var += momentum * var * (n / (n - 1))", replace="running_var += momentum * var",
         caught_by=["test_batchnorm_fused"]),
    dict(name="fused_momentum_reversed", cell="batchnorm_fused",
         find="running_mean *= 1 - momentum\n            running_mean += momentum * mean",
         replace="running_mean *= momentum\n            running_mean += (1 - momentum) * mean",
         caught_by=["test_batchnorm_fused"]),
    # NCHW viewed as (N, C, L) by reshaping in the wrong order: statistics mix channels and images
    dict(name="fused_statistics_over_the_wrong_axes", cell="batchnorm_fused",
         find="x3 = data.reshape(data.shape[0], C, -1)", replace="x3 = data.reshape(C, data.shape[0], -1).swapaxes(0, 1)",
         caught_by=["test_batchnorm_fused", "test_batchnorm_fused_gradients"]),
    # right values and gradients, but about ten ops instead of one
    dict(name="fused_records_the_composed_ops", cell="batchnorm_fused",
         find="    data = x.data\n",
         replace="    return batch_norm_composed(x, running_mean, running_var, weight, bias, training, momentum, eps)\n",
         caught_by=["test_batchnorm_fused"]),
    dict(name="rule_without_the_variance_term", cell="batchnorm_fused",
         find="            dx -= x_hat * (k * sum_g_xhat)[:, None]\n", replace="",
         caught_by=["test_batchnorm_fused_gradients"]),
    dict(name="rule_without_the_mean_term", cell="batchnorm_fused",
         find="            dx -= (k * sum_g)[:, None]\n", replace="",
         caught_by=["test_batchnorm_fused_gradients"]),
    dict(name="rule_g_not_times_weight", cell="batchnorm_fused",
         find="scale = inv_std * out._inputs[1].data if has_weight else inv_std", replace="scale = inv_std",
         caught_by=["test_batchnorm_fused_gradients"]),
    # only the hidden checks see these: eval mode, (N, C) inputs, N = 1
    dict(name="fused_eval_uses_batch_statistics", cell="batchnorm_fused",
         find="    if training:\n", replace="    if True:\n",
         caught_by=["test_batchnorm_fused"]),
    dict(name="rule_eval_differentiates_the_statistics", cell="batchnorm_fused",
         find='        if out._saved["training"]:\n', replace="        if True:\n",
         caught_by=["test_batchnorm_fused_gradients"]),
    # ---- 6c. BatchNorm2d
    dict(name="module_always_trains", cell="batchnorm",
         find="self.weight, self.bias, self.training,", replace="self.weight, self.bias, True,",
         caught_by=["test_batchnorm"]),
    # only the hidden checks see these: eps and momentum swapped, the composed ops
    dict(name="module_momentum_and_eps_swapped", cell="batchnorm",
         find="self.momentum, self.eps)", replace="self.eps, self.momentum)",
         caught_by=["test_batchnorm"]),
    dict(name="module_forward_composed", cell="batchnorm",
         find="return batch_norm(x,", replace="return batch_norm_composed(x,",
         caught_by=["test_batchnorm"]),
    # ---- 7. Flatten
    dict(name="flatten_rewraps_data", cell="flatten",
         find="return x.reshape(shape)", replace="return Tensor(x.data.reshape(shape))",
         caught_by=["test_flatten"]),
    # only the hidden checks see it: end_dim
    dict(name="flatten_ignores_end_dim", cell="flatten",
         find="shape = x.shape[:start] + (int(np.prod(x.shape[start:end + 1])),) + x.shape[end + 1:]",
         replace="shape = x.shape[:start] + (-1,)",
         caught_by=["test_flatten"]),
]
