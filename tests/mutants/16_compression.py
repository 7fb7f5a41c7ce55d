"""Plausible wrong implementations of 16_compression; `make check` proves the tests catch each one.

The seed project's mistakes are here by name: a compression config whose unknown keys were silently ignored, and a
sparsity that flattered itself (biases counted, near-zeros counted as zeros). Also: pruning the largest weights
instead of the smallest, per-layer thresholds when a global one was asked, biases pruned, k floored instead of
rounded, masks not stored, not re-applied after an optimizer step or not combined with an earlier mask; structured
pruning that keeps the wrong neurons (the smallest, or by L1 norm), does not shrink the next layer's input, or slices
the wrong axis of the next conv; an SVD without S, with U and V swapped, off by one in the rank, or in float64; a
distillation loss with the KL the wrong way round, without T^2, without the temperature in the student's softmax, with
alpha on the wrong term, or with gradients flowing into the teacher; and compress_model compressing the caller's model
in place or dropping the scope.
"""
MUTANTS = [
    # ---- 1. magnitude pruning and masks
    dict(name="prune_largest", cell="pruning",
         find='order = np.argsort(scores, kind="stable")', replace='order = np.argsort(-scores, kind="stable")',
         caught_by=["test_magnitude_prune", "test_masks_after_step"]),
    dict(name="per_layer_when_global", cell="pruning",
         find='groups = [targets] if scope == "global" else [[t] for t in targets]', replace="groups = [[t] for t in targets]",
         caught_by=["test_magnitude_prune"]),
    dict(name="biases_pruned", cell="pruning",
         find="    targets = prunable(model_or_params)\n",
         replace='    targets = prunable(model_or_params)\n'
                 '    targets = targets + [(m, "bias") for m, _ in targets if getattr(m, "bias", None) is not None]\n',
         caught_by=["test_magnitude_prune"]),
    dict(name="sparsity_counts_biases", cell="pruning",
         find="weights = [getattr(m, name).data for m, name in prunable(model_or_params)]",
         replace="weights = [p.data for p in model_or_params.parameters()] if hasattr(model_or_params, 'parameters') "
                 "else [getattr(m, name).data for m, name in prunable(model_or_params)]",
         caught_by=["test_magnitude_prune"]),
    # only the hidden checks see it: a weight of 1e-9 (the visible model has none that small)
    dict(name="sparsity_counts_near_zeros", cell="pruning",
         find="np.count_nonzero(w == 0)", replace="np.count_nonzero(np.abs(w) < 1e-6)",
         caught_by=["test_magnitude_prune"]),
    # only the hidden checks see it: the visible counts (0.5 of 12, 0.5 of 6) are whole numbers
    dict(name="k_floored", cell="pruning",
         find="k = int(round(amount * scores.size))", replace="k = int(amount * scores.size)",
         caught_by=["test_magnitude_prune"]),
    dict(name="masks_not_reapplied", cell="pruning",
         find="            getattr(m, name).data[~mask] = 0", replace="            pass",
         caught_by=["test_masks_after_step"]),
    dict(name="mask_not_stored", cell="pruning",
         find='setattr(m, name + "_mask", piece if old is None else piece & old)',
         replace='getattr(m, name).data[~piece] = 0',
         caught_by=["test_magnitude_prune", "test_masks_after_step"]),
    # only the hidden checks see it: a second pruning at a smaller amount
    dict(name="mask_not_combined", cell="pruning",
         find="piece if old is None else piece & old", replace="piece",
         caught_by=["test_masks_after_step"]),
    # ---- 2. structured pruning
    dict(name="neurons_keep_smallest", cell="structured",
         find='keep = np.sort(np.argsort(norms, kind="stable")[k:])\n    first = linear_from(',
         replace='keep = np.sort(np.argsort(-norms, kind="stable")[k:])\n    first = linear_from(',
         caught_by=["test_prune_neurons"]),
    dict(name="next_layer_not_shrunk", cell="structured",
         find="second = linear_from(linear_out.weight.data[keep, :], linear_out.bias)",
         replace="second = linear_from(linear_out.weight.data, linear_out.bias)",
         caught_by=["test_prune_neurons"]),
    # only the hidden checks see it: norms designed so that L1 and L2 rank the neurons differently
    dict(name="neurons_scored_by_l1", cell="structured",
         find="norms = np.sqrt((W.astype(np.float64) ** 2).sum(axis=0))", replace="norms = np.abs(W.astype(np.float64)).sum(axis=0)",
         caught_by=["test_prune_neurons"]),
    # only the hidden checks see it: prune_channels is tested in the hidden part
    dict(name="next_conv_sliced_on_outputs", cell="structured",
         find="conv2d_from(conv_out.weight.data[:, keep]", replace="conv2d_from(conv_out.weight.data[keep]",
         caught_by=["test_prune_neurons"]),
    # only the hidden checks see them: channels scored by L1, and no neuron left when round(amount * H) == H
    dict(name="channels_scored_by_l1", cell="structured",
         find="norms = np.sqrt((W.astype(np.float64) ** 2).sum(axis=(1, 2, 3)))",
         replace="norms = np.abs(W.astype(np.float64)).sum(axis=(1, 2, 3))",
         caught_by=["test_prune_neurons"]),
    dict(name="no_neuron_kept_at_high_amount", cell="structured",
         find='k = min(int(round(amount * norms.size)), norms.size - 1)\n    keep = np.sort(np.argsort(norms, kind="stable")[k:])\n    first = linear_from(',
         replace='k = int(round(amount * norms.size))\n    keep = np.sort(np.argsort(norms, kind="stable")[k:])\n    first = linear_from(',
         caught_by=["test_prune_neurons"]),
    # ---- 3. low rank
    dict(name="svd_without_s", cell="low_rank",
         find="first = linear_from((U * S).astype(W.dtype))", replace="first = linear_from(U.astype(W.dtype))",
         caught_by=["test_low_rank"]),
    dict(name="svd_u_v_swapped", cell="low_rank",
         find="first = linear_from((U * S).astype(W.dtype))\n    second = linear_from(Vt.astype(W.dtype), linear.bias)",
         replace="first = linear_from((Vt.T * S).astype(W.dtype))\n    second = linear_from(U.T.astype(W.dtype), linear.bias)",
         caught_by=["test_low_rank"]),
    dict(name="rank_off_by_one", cell="low_rank",
         find="U, S, Vt = U[:, :r], S[:r], Vt[:r]", replace="U, S, Vt = U[:, :r + 1], S[:r + 1], Vt[:r + 1]",
         caught_by=["test_low_rank"]),
    # only the hidden checks see it: the factors' dtype
    dict(name="factors_float64", cell="low_rank",
         find="first = linear_from((U * S).astype(W.dtype))\n    second = linear_from(Vt.astype(W.dtype), linear.bias)",
         replace="first = linear_from(U * S)\n    second = linear_from(Vt, linear.bias)",
         caught_by=["test_low_rank"]),
    # ---- 4. distillation
    dict(name="kl_wrong_direction", cell="distillation_loss",
         find="kl = (log_p_teacher.exp() * (log_p_teacher - log_p_student)).sum()",
         replace="kl = (log_p_student.exp() * (log_p_student - log_p_teacher)).sum()",
         caught_by=["test_distillation_loss", "test_distillation_gradients"]),
    dict(name="missing_t_squared", cell="distillation_loss",
         find="soft = kl * (T * T)", replace="soft = kl",
         caught_by=["test_distillation_loss", "test_distillation_gradients"]),
    dict(name="student_softmax_without_temperature", cell="distillation_loss",
         find="log_p_student = log_softmax(student / T)", replace="log_p_student = log_softmax(student)",
         caught_by=["test_distillation_loss", "test_distillation_gradients"]),
    dict(name="gradient_into_teacher", cell="distillation_loss",
         find="teacher = Tensor(np.asarray(values, dtype=student.dtype))",
         replace="teacher = teacher_logits if isinstance(teacher_logits, Tensor) else Tensor(np.asarray(values, dtype=student.dtype))",
         caught_by=["test_distillation_gradients"]),
    # only the hidden checks see it: alpha = 0.5 in the visible check
    dict(name="alpha_on_the_hard_term", cell="distillation_loss",
         find="return soft * alpha + CrossEntropyLoss()(student, targets) * (1 - alpha)",
         replace="return soft * (1 - alpha) + CrossEntropyLoss()(student, targets) * alpha",
         caught_by=["test_distillation_loss", "test_distillation_gradients"]),
    # ---- 5. compress_model
    dict(name="unknown_keys_ignored", cell="compress_model",
         find="    if unknown:\n", replace="    if False:\n",
         caught_by=["test_compress_model"]),
    dict(name="compressed_in_place", cell="compress_model",
         find="new = copy.deepcopy(model)", replace="new = model",
         caught_by=["test_compress_model"]),
    # only the hidden checks see it: a scope and both techniques at once
    dict(name="scope_dropped", cell="compress_model",
         find='scope=config.get("scope", "global")', replace='scope="global"',
         caught_by=["test_compress_model"]),
    # only the hidden checks see it: a Linear whose min(in, out) equals r is factored anyway (more parameters)
    dict(name="low_rank_at_equal_size", cell="compress_model",
         find="> r else layer", replace=">= r else layer",
         caught_by=["test_compress_model"]),
]
