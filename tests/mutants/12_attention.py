"""Plausible wrong implementations of 12_attention; `make check` proves the tests catch each one.

The seed project's bug is here by name: a mask consumed in the wrong convention (additive numbers, or True read as
blocked), and a float mask accepted and read as "nonzero = attend", which inverts an additive 0 / -inf mask.
Also: the mask applied after the softmax, the wrong scale (1/E, 1/sqrt(S) or none), the
softmax over the queries, a fully masked row giving NaN or uniform weights (or NaN for a large blocked score and in
the backward pass: a 0/1 mask multiplied into the exponentials, empty rows picked by where), an unstable softmax,
a causal mask off by one or aligned the wrong way, heads split by a reshape alone or merged in the wrong order, the
key and value projections swapped, weights not averaged over the heads, the model width instead of the head width
in the scale, cross-attention that uses the query for the keys, a module mask not passed on to the heads, need_weights=False ignored, and an
explicit scale=0.0 read as the default. The fused softmax (1b): the composed ops recorded instead of one, its
forward's mask, shift, denominator and axis, and its rule without the sum term, with the sum along the wrong axis,
leaking gradient to blocked entries, recomputing y without the mask, or NaN on a fully masked slice; attention
that still calls the composed softmax.
"""
MUTANTS = [
    # ---- 1. masked_softmax
    dict(name="mask_true_means_blocked", cell="masked_softmax",
         find="scores = where(mask, scores, -np.inf)", replace="scores = where(~mask, scores, -np.inf)",
         caught_by=["test_masked_softmax"]),
    dict(name="mask_added_as_numbers", cell="masked_softmax",
         find="scores = where(mask, scores, -np.inf)", replace="scores = scores + Tensor(mask.astype(scores.dtype))",
         caught_by=["test_masked_softmax"]),
    dict(name="fully_masked_row_nan", cell="masked_softmax",
         find="    top = np.where(np.isfinite(top), top, 0.0)", replace="    pass",
         caught_by=["test_masked_softmax"]),
    dict(name="fully_masked_row_uniform", cell="masked_softmax",
         find="-np.inf)", replace="-1e9)",
         caught_by=["test_masked_softmax"]),
    dict(name="softmax_without_max_subtraction", cell="masked_softmax",
         find="e = (scores - top).exp()", replace="e = scores.exp()",
         caught_by=["test_masked_softmax"]),
    # only the hidden checks see it: blocked by multiplying the exponentials by the mask, empty rows zeroed by
    # where(total > 0, e / total, 0): right in the visible forward checks, NaN for a large blocked score and in the
    # backward pass of a fully masked row (0 * inf)
    dict(name="mask_multiplied_in_empty_rows_picked_by_where", cell="masked_softmax",
         find="    if mask is not None:\n"
              "        scores = where(mask, scores, -np.inf)             # blocked: exp(-inf) = 0 exactly\n"
              "    top = scores.data.max(axis=dim, keepdims=True)         # a constant shift: softmax(s - c) = softmax(s)\n"
              "    top = np.where(np.isfinite(top), top, 0.0)             # a fully masked slice: its max is -inf, shift by 0\n"
              "    e = (scores - top).exp()\n"
              "    total = e.sum(axis=dim, keepdims=True)\n"
              "    return e / where(total.data > 0, total, 1.0)           # a fully masked slice: 0 / 1 = 0, never 0 / 0",
         replace="    top = scores.data.max(axis=dim, keepdims=True)\n"
                 "    e = (scores - top).exp()\n"
                 "    if mask is not None:\n"
                 "        e = e * Tensor(np.asarray(mask, dtype=e.dtype))\n"
                 "    total = e.sum(axis=dim, keepdims=True)\n"
                 "    return where(total.data > 0, e / total, 0.0)",
         caught_by=["test_masked_softmax"]),
    # ---- 1b. the fused softmax: one op, one rule
    dict(name="fused_records_the_composed_ops", cell="softmax_fused",
         find="    s = x.data if mask is None", replace="    return masked_softmax(x, mask, dim)\n    s = x.data if mask is None",
         caught_by=["test_softmax_fused"]),
    dict(name="fused_mask_true_means_blocked", cell="softmax_fused",
         find="np.where(mask, x.data, -np.inf)", replace="np.where(~mask, x.data, -np.inf)",
         caught_by=["test_softmax_fused", "test_softmax_fused_gradients"]),
    dict(name="fused_fully_masked_row_nan", cell="softmax_fused",
         find="    top = np.where(np.isfinite(top), top, 0.0)", replace="    pass",
         caught_by=["test_softmax_fused"]),
    dict(name="fused_unsafe_denominator", cell="softmax_fused",
         find="e /= np.where(total > 0, total, 1.0)", replace="e /= total",
         caught_by=["test_softmax_fused"]),
    # only the hidden checks see these two: scores large enough to overflow exp, and a softmax along dim=1
    dict(name="fused_without_max_subtraction", cell="softmax_fused",
         find="e = s - top ", replace="e = s.copy() ",
         caught_by=["test_softmax_fused"]),
    dict(name="fused_masked_without_max_subtraction", cell="softmax_fused",
         find="        e -= top ", replace="        e -= 0 ",
         caught_by=["test_softmax_fused"]),
    dict(name="fused_sum_along_the_last_axis", cell="softmax_fused",
         find="total = e.sum(axis=dim, keepdims=True)", replace="total = e.sum(axis=-1, keepdims=True)",
         caught_by=["test_softmax_fused"]),
    dict(name="rule_without_the_sum_term", cell="softmax_fused",
         find="    dx -= y * dx.sum(axis=dim, keepdims=True)", replace="    pass  # dx -= y * dx.sum(axis=dim, keepdims=True)",
         caught_by=["test_softmax_fused_gradients"]),
    # the second term without its factor y: blocked entries (y = 0) get -sum(g y), a gradient leaking through the mask
    dict(name="rule_leaks_to_blocked_entries", cell="softmax_fused",
         find="dx -= y * dx.sum(axis=dim, keepdims=True)", replace="dx -= dx.sum(axis=dim, keepdims=True)",
         caught_by=["test_softmax_fused_gradients"]),
    # the rule recomputes y from the saved scores and forgets the mask
    dict(name="rule_recomputes_y_without_the_mask", cell="softmax_fused",
         find='    y, dim = out._saved["y"], out._saved["dim"]',
         replace='    dim = out._saved["dim"]\n'
                 '    x = out._inputs[0].data\n'
                 '    y = np.exp(x - x.max(axis=dim, keepdims=True))\n'
                 '    y = y / y.sum(axis=dim, keepdims=True)',
         caught_by=["test_softmax_fused_gradients"]),
    # only the hidden checks see these two: a softmax along dim=-2 / dim=0, and a fully masked slice
    dict(name="rule_sum_along_the_last_axis", cell="softmax_fused",
         find="dx -= y * dx.sum(axis=dim, keepdims=True)", replace="dx -= y * dx.sum(axis=-1, keepdims=True)",
         caught_by=["test_softmax_fused_gradients"]),
    dict(name="rule_nan_on_a_fully_masked_slice", cell="softmax_fused",
         find="dx -= y * dx.sum(axis=dim, keepdims=True)",
         replace="dx -= y * dx.sum(axis=dim, keepdims=True) / y.sum(axis=dim, keepdims=True)",
         caught_by=["test_softmax_fused_gradients"]),
    # ---- 2. causal_mask
    dict(name="causal_diagonal_excluded", cell="causal_mask",
         find="k=S - L)", replace="k=S - L - 1)",
         caught_by=["test_causal_mask", "test_sdpa"]),
    dict(name="causal_upper_triangle", cell="causal_mask",
         find="np.tril(", replace="np.triu(",
         caught_by=["test_causal_mask", "test_sdpa"]),
    # only the hidden checks see it: S > L
    dict(name="causal_aligned_top_left", cell="causal_mask",
         find="k=S - L)", replace="k=0)",
         caught_by=["test_causal_mask"]),
    # ---- 3. scaled_dot_product_attention
    dict(name="mask_applied_after_softmax", cell="sdpa",
         find="weights = softmax(scores, dim=-1, mask=mask)",
         replace="weights = softmax(scores, dim=-1) * (1.0 if mask is None else Tensor(mask.astype(scores.dtype)))",
         caught_by=["test_sdpa", "test_sdpa_gradients"]),
    dict(name="softmax_over_queries", cell="sdpa",
         find="weights = softmax(scores, dim=-1, mask=mask)", replace="weights = softmax(scores, dim=-2, mask=mask)",
         caught_by=["test_sdpa", "test_sdpa_gradients"]),
    # only the hidden checks see it: the right values from the composed softmax, eight ops instead of one
    dict(name="sdpa_composed_softmax", cell="sdpa",
         find="weights = softmax(scores, dim=-1, mask=mask)", replace="weights = masked_softmax(scores, mask, dim=-1)",
         caught_by=["test_sdpa"]),
    dict(name="scale_one_over_E", cell="sdpa",
         find="scale = 1.0 / math.sqrt(E) if scale is None", replace="scale = 1.0 / E if scale is None",
         caught_by=["test_sdpa", "test_sdpa_gradients"]),
    dict(name="scale_one_over_sqrt_S", cell="sdpa",
         find="scale = 1.0 / math.sqrt(E) if scale is None", replace="scale = 1.0 / math.sqrt(S) if scale is None",
         caught_by=["test_sdpa"]),
    dict(name="scale_missing", cell="sdpa",
         find="scale = 1.0 / math.sqrt(E) if scale is None", replace="scale = 1.0 if scale is None",
         caught_by=["test_sdpa", "test_sdpa_gradients"]),
    dict(name="float_mask_read_as_nonzero", cell="sdpa",
         find="mask = attn_mask.data if isinstance(attn_mask, Tensor) else np.asarray(attn_mask)",
         replace="mask = (attn_mask.data if isinstance(attn_mask, Tensor) else np.asarray(attn_mask)) != 0",
         caught_by=["test_sdpa"]),
    # only the hidden checks see it: both masks at once (forward values, and the gradient check, so that a forward
    # answered by the notebook's own attention_oracle does not hide it)
    dict(name="is_causal_replaces_attn_mask", cell="sdpa",
         find="mask = causal if mask is None else mask & causal", replace="mask = causal",
         caught_by=["test_sdpa", "test_sdpa_gradients"]),
    # only the hidden checks see it: scale=0.0 is falsy, so `scale or default` reads it as "use the default"
    dict(name="scale_zero_read_as_default", cell="sdpa",
         find="scale = 1.0 / math.sqrt(E) if scale is None else scale", replace="scale = scale or 1.0 / math.sqrt(E)",
         caught_by=["test_sdpa"]),
    # ---- 4. MultiHeadAttention
    dict(name="heads_split_by_reshape_alone", cell="multi_head_attention",
         find="return x.reshape(B, T, self.num_heads, self.head_dim).transpose(0, 2, 1, 3)",
         replace="return x.reshape(B, self.num_heads, T, self.head_dim)",
         caught_by=["test_mha", "test_mha_gradients"]),
    dict(name="heads_merged_by_reshape_alone", cell="multi_head_attention",
         find="return x.transpose(0, 2, 1, 3).reshape(B, T, self.embed_dim)", replace="return x.reshape(B, T, self.embed_dim)",
         caught_by=["test_mha", "test_mha_gradients"]),
    dict(name="key_value_projections_swapped", cell="multi_head_attention",
         find="k = self._split_heads(self.k_proj(key))\n        v = self._split_heads(self.v_proj(value))",
         replace="k = self._split_heads(self.v_proj(key))\n        v = self._split_heads(self.k_proj(value))",
         caught_by=["test_mha", "test_mha_gradients"]),
    dict(name="weights_of_the_first_head_only", cell="multi_head_attention",
         find="weights.mean(axis=1)", replace="weights[:, 0]",
         caught_by=["test_mha"]),
    dict(name="scale_by_embed_dim_not_head_dim", cell="multi_head_attention",
         find="attn_mask=attn_mask, is_causal=is_causal)",
         replace="attn_mask=attn_mask, is_causal=is_causal, scale=1.0 / math.sqrt(self.embed_dim))",
         caught_by=["test_mha", "test_mha_gradients"]),
    # only the hidden checks see it: a mask given to the module never reaches the heads
    dict(name="attn_mask_not_passed_on", cell="multi_head_attention",
         find="attn_mask=attn_mask, is_causal=is_causal)", replace="attn_mask=None, is_causal=is_causal)",
         caught_by=["test_mha", "test_mha_gradients"]),
    # only the hidden checks see it: need_weights=False still averages the weights and returns them
    dict(name="need_weights_ignored", cell="multi_head_attention",
         find="(weights.mean(axis=1) if need_weights else None)", replace="weights.mean(axis=1)",
         caught_by=["test_mha"]),
    # only the hidden checks see it: cross-attention
    dict(name="cross_attention_uses_query", cell="multi_head_attention",
         find="key = query if key is None else _tensor(key)", replace="key = query",
         caught_by=["test_mha", "test_mha_gradients"]),
]
