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
         find="W2, (kH, kW), padding)", replace="W2, (kH, kW), (0, 0))",
         caught_by=["test_conv2d"]),
    dict(name="grad_weight_from_first_image_only", cell="conv2d",
         find="np.matmul(g2, cols.transpose(0, 2, 1)).sum(axis=0)", replace="np.matmul(g2, cols.transpose(0, 2, 1))[0]",
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
         find="padding, x.requires_grad, w.requires_grad)", replace="padding, w.requires_grad, x.requires_grad)",
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
         find="g * (arg == p * kW + q)",
         replace="g * (x.data[:, :, p:p + sh * H_out:sh, q:q + sw * W_out:sw] == out.data)",
         caught_by=["test_pooling"]),
    dict(name="avg_pool_detached", cell="pooling",
         find='return Tensor.from_op(out, "avg_pool2d", x, kernel=(kH, kW), stride=(sh, sw))',
         replace="return Tensor(out)",
         caught_by=["test_pooling"]),
    dict(name="max_pool_backward_ignores_stride", cell="pooling",
         find="grad[:, :, p:p + sh * H_out:sh, q:q + sw * W_out:sw] += g * (arg == p * kW + q)",
         replace="grad[:, :, p:p + H_out, q:q + W_out] += g * (arg == p * kW + q)",
         caught_by=["test_pooling"]),
    dict(name="avg_pool_forward_ignores_stride", cell="pooling",
         find="axis=(2, 3))[:, :, ::sh, ::sw]\n    out = windows.mean", replace="axis=(2, 3))\n    out = windows.mean",
         caught_by=["test_pooling"]),
    # only the hidden checks see these: overlapping windows, non-square kernels
    dict(name="avg_pool_backward_assigns_overlaps", cell="pooling",
         find="+= share", replace="= share",
         caught_by=["test_pooling"]),
    dict(name="max_pool_flat_index_uses_kernel_height", cell="pooling",
         find="g * (arg == p * kW + q)", replace="g * (arg == p * kH + q)",
         caught_by=["test_pooling"]),
    # offsets scanned column by column: the same maxima and gradients, except which tie is "first"
    dict(name="max_pool_ties_in_column_major_order", cell="pooling",
         find="    for k in range(kH * kW - 2, -1, -1):",
         replace="    for k in sorted(range(kH * kW), key=lambda k: (k % kW, k // kW))[-2::-1]:",
         caught_by=["test_pooling"]),
    # every value right, but the LAST maximum of a window gets the gradient
    dict(name="max_pool_ties_keep_the_last", cell="pooling",
         find="    for k in range(kH * kW - 2, -1, -1):", replace="    for k in range(kH * kW - 1):",
         caught_by=["test_pooling"]),
    # correct values and gradients from a sum of strided slices: grad_avg_pool2d never runs
    dict(name="avg_pool_composed_without_its_rule", cell="pooling",
         find='    return Tensor.from_op(out, "avg_pool2d", x, kernel=(kH, kW), stride=(sh, sw))\n',
         replace="    H_out, W_out = out.shape[2:]\n"
                 "    total = sum(x[:, :, p:p + sh * (H_out - 1) + 1:sh, q:q + sw * (W_out - 1) + 1:sw]\n"
                 "                for p in range(kH) for q in range(kW))\n"
                 "    return total * (1.0 / (kH * kW))\n",
         caught_by=["test_pooling"]),
    # ---- 6. BatchNorm2d
    dict(name="batchnorm_detaches_statistics", cell="batchnorm",
         find="mean = x.mean(axis=(0, 2, 3), keepdims=True)\n            centered = x - mean\n"
              "            var = (centered * centered).mean(axis=(0, 2, 3), keepdims=True)",
         replace="mean = Tensor(x.data.mean(axis=(0, 2, 3), keepdims=True))\n            centered = x - mean\n"
                 "            var = Tensor(x.data.var(axis=(0, 2, 3), keepdims=True))",
         caught_by=["test_batchnorm"]),
    dict(name="eval_uses_batch_statistics", cell="batchnorm",
         find="if self.training:", replace="if True:",
         caught_by=["test_batchnorm"]),
    dict(name="running_var_biased", cell="batchnorm",
         find="m * var.data.reshape(-1) * n / (n - 1)", replace="m * var.data.reshape(-1)",
         caught_by=["test_batchnorm"]),
    dict(name="momentum_weights_swapped", cell="batchnorm",
         find="(1 - m) * self.running_mean.data + m * mean.data.reshape(-1)",
         replace="m * self.running_mean.data + (1 - m) * mean.data.reshape(-1)",
         caught_by=["test_batchnorm"]),
    # only the hidden checks see these: a non-trivial weight, tiny variances
    dict(name="batchnorm_forgets_weight", cell="batchnorm",
         find="scale = self.weight.reshape(shape) * (var + self.eps) ** -0.5",
         replace="scale = (var + self.eps) ** -0.5",
         caught_by=["test_batchnorm"]),
    dict(name="eps_outside_the_square_root", cell="batchnorm",
         find="(var + self.eps) ** -0.5", replace="(var ** 0.5 + self.eps) ** -1.0",
         caught_by=["test_batchnorm"]),
    dict(name="running_statistics_become_float64", cell="batchnorm",
         find="self.running_mean.data = new_mean.astype(self.running_mean.dtype)\n"
              "            self.running_var.data = new_var.astype(self.running_var.dtype)",
         replace="self.running_mean.data = new_mean\n            self.running_var.data = new_var",
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
