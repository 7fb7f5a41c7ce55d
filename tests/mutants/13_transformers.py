"""Plausible wrong implementations of 13_transformers; `make check` proves the tests catch each one.

The seed project's bug is here by name: LayerNorm whose variance (or mean) is a constant to autograd (right forward,
wrong gradient). Also: the unbiased variance, eps outside the square root, normalizing over the wrong axes, affine
parameters cut from the graph; the fused op's forward with the unbiased variance, eps outside the square root, or a
dozen ops recorded instead of one; its rule without the mean's or the variance's term, with g not scaled by the weight,
dweight summed over the wrong axes, sigma from the unbiased variance, or no bias gradient; a LayerNorm module whose
forward is the composed version, that drops its eps or ignores elementwise_affine; an MLP with ReLU or an ignored hidden width; post-norm, a missing residual, the causal
mask forgotten, mlp_ratio ignored; a GPT without positions, without ln_f, without its blocks, or whose tied head
copies the table; generation that ignores the seed, does not crop the context (or keeps its first tokens), keeps one
token too many in top-k, samples greedily, skips the softmax or ignores the temperature. From the review of the
module as a hostile student: dropout left out of the block's attention branch, of the embeddings, or not passed to
the blocks; generation that records the graph or leaves dropout on; an rng re-created at every step; greedy decoding
for a single sequence (the visible sampling checks use large batches).
"""
MUTANTS = [
    # ---- 1. LayerNorm composed from Tensor ops
    # the seed project's bug: the forward is right, the gradient misses the variance's term
    dict(name="variance_detached", cell="layer_norm_composed",
         find="var = (centered * centered).mean(axis=axes, keepdims=True)",
         replace="var = (centered * centered).mean(axis=axes, keepdims=True).detach()",
         caught_by=["test_layer_norm_gradients"]),
    dict(name="mean_detached", cell="layer_norm_composed",
         find="centered = x - mean", replace="centered = x - mean.detach()",
         caught_by=["test_layer_norm_gradients"]),
    dict(name="unbiased_variance", cell="layer_norm_composed",
         find="var = (centered * centered).mean(axis=axes, keepdims=True)",
         replace="var = (centered * centered).sum(axis=axes, keepdims=True) * (1.0 / (int(np.prod(shape)) - 1))",
         caught_by=["test_layer_norm", "test_layer_norm_gradients"]),
    # only the hidden forward checks see it: a variance comparable to eps
    dict(name="eps_outside_sqrt", cell="layer_norm_composed",
         find="out = centered * (var + eps) ** -0.5", replace="out = centered * (var ** 0.5 + eps) ** -1",
         caught_by=["test_layer_norm"]),
    dict(name="normalized_over_the_batch", cell="layer_norm_composed",
         find="axes = tuple(range(-len(shape), 0))", replace="axes = 0",
         caught_by=["test_layer_norm", "test_layer_norm_gradients"]),
    # only the hidden checks see it: normalized_shape of two dimensions
    dict(name="last_axis_only", cell="layer_norm_composed",
         find="axes = tuple(range(-len(shape), 0))", replace="axes = -1",
         caught_by=["test_layer_norm", "test_layer_norm_gradients"]),
    # only the hidden gradient checks see it: gradients with respect to weight and bias
    dict(name="affine_parameters_detached", cell="layer_norm_composed",
         find="out = out * weight\n    if bias is not None:\n        out = out + bias",
         replace="out = out * weight.detach()\n    if bias is not None:\n        out = out + bias.detach()",
         caught_by=["test_layer_norm_gradients"]),

    # ---- 1b. the fused op and its rule
    # the forward's statistics: the unbiased variance, eps outside the sqrt (only the hidden small-variance check)
    dict(name="fused_unbiased_variance", cell="layer_norm_fused",
         find="var = (centered * centered).sum(axis=axes, keepdims=True) / count",
         replace="var = (centered * centered).sum(axis=axes, keepdims=True) / (count - 1)",
         caught_by=["test_layer_norm_fused", "test_layer_norm_fused_gradients", "test_layer_norm_module"]),
    dict(name="fused_eps_outside_sqrt", cell="layer_norm_fused",
         find="rstd = 1.0 / np.sqrt(var + eps)", replace="rstd = 1.0 / (np.sqrt(var) + eps)",
         caught_by=["test_layer_norm_fused"]),
    # right values and gradients, but a dozen ops: only the op hook sees it
    dict(name="fused_records_the_composed_ops", cell="layer_norm_fused",
         find="    inputs = (x,)\n",
         replace="    return layer_norm_composed(x, shape, weight, bias, eps)\n",
         caught_by=["test_layer_norm_fused"]),
    # the rule: the mean's term, the variance's term, the weight in g_hat, dweight's axes, dbias
    dict(name="rule_without_the_mean_term", cell="layer_norm_fused",
         find="dx = g_hat - g_hat.mean(axis=axes, keepdims=True)", replace="dx = g_hat + 0.0",
         caught_by=["test_layer_norm_fused_gradients"]),
    dict(name="rule_without_the_variance_term", cell="layer_norm_fused",
         find="    dx -= np.multiply(x_hat, t.mean(axis=axes, keepdims=True), out=t)   # the variance's term\n",
         replace="",
         caught_by=["test_layer_norm_fused_gradients"]),
    dict(name="rule_g_not_times_weight", cell="layer_norm_fused",
         find="g_hat = g * out._inputs[1].data if has_weight else g", replace="g_hat = g",
         caught_by=["test_layer_norm_fused_gradients"]),
    # only the hidden checks see it: normalized_shape of two dimensions
    dict(name="rule_dweight_over_the_wrong_axes", cell="layer_norm_fused",
         find="dweight = t.sum(axis=lead)", replace="dweight = t.sum(axis=tuple(range(g.ndim - 1)))",
         caught_by=["test_layer_norm_fused_gradients"]),
    # the rule recomputes sigma from the input, with NumPy's unbiased variance (ddof=1)
    dict(name="rule_sigma_from_the_unbiased_variance", cell="layer_norm_fused",
         find='x_hat, rstd, axes = out._saved["x_hat"], out._saved["rstd"], out._saved["axes"]',
         replace='x_hat, axes = out._saved["x_hat"], out._saved["axes"]\n'
                 '    rstd = 1.0 / np.sqrt(out._inputs[0].data.var(axis=axes, ddof=1, keepdims=True) + 1e-5)',
         caught_by=["test_layer_norm_fused_gradients"]),
    # in place gone wrong: the bias added into the saved x_hat when there is no weight (the rule then reads x̂ + β),
    # or ĝ·x̂ left without the weight (dweight right, dx wrong)
    dict(name="fused_bias_added_into_saved_x_hat", cell="layer_norm_fused",
         find="        if out is x_hat:\n", replace="        if False:\n",
         caught_by=["test_layer_norm_fused_gradients"]),
    dict(name="rule_variance_term_without_weight", cell="layer_norm_fused",
         find="        t *= out._inputs[1].data ", replace="        t *= 1 ",
         caught_by=["test_layer_norm_fused_gradients"]),
    # also the block's hidden check of ln2.bias's gradient
    dict(name="rule_bias_gradient_missing", cell="layer_norm_fused",
         find="grads += (g.sum(axis=lead),)", replace="grads += (None,)",
         caught_by=["test_layer_norm_fused_gradients", "test_block_gradients"]),

    # ---- 1b. the module
    # right values and gradients, but LayerNorm's forward is not the fused op
    dict(name="module_forward_composed", cell="layer_norm",
         find="return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)",
         replace="return layer_norm_composed(x, self.normalized_shape, self.weight, self.bias, self.eps)",
         caught_by=["test_layer_norm_module"]),
    # only the hidden checks see it: LayerNorm(6, eps=0.01)
    dict(name="module_eps_not_passed", cell="layer_norm",
         find="self.weight, self.bias, self.eps)", replace="self.weight, self.bias)",
         caught_by=["test_layer_norm_module"]),
    dict(name="module_elementwise_affine_ignored", cell="layer_norm",
         find="if self.elementwise_affine:", replace="if True:",
         caught_by=["test_layer_norm_module"]),

    # ---- 2. MLP
    dict(name="relu_not_gelu", cell="mlp",
         find="self.act = GELU()", replace="from tinytorch.activations import ReLU\n        self.act = ReLU()",
         caught_by=["test_mlp", "test_block"]),
    # only the hidden checks see it: an explicit hidden_dim (and the block's mlp_ratio)
    dict(name="hidden_dim_ignored", cell="mlp",
         find="hidden_dim = 4 * embed_dim if hidden_dim is None else hidden_dim", replace="hidden_dim = 4 * embed_dim",
         caught_by=["test_mlp", "test_block"]),
    # ---- 3. TransformerBlock
    dict(name="post_norm", cell="transformer_block",
         find="x = x + self.dropout(self.attn(self.ln1(x), is_causal=True, need_weights=False)[0])\n        x = x + self.mlp(self.ln2(x))",
         replace="x = self.ln1(x + self.dropout(self.attn(x, is_causal=True)[0]))\n        x = self.ln2(x + self.mlp(x))",
         caught_by=["test_block", "test_block_gradients"]),
    dict(name="attention_residual_missing", cell="transformer_block",
         find="x = x + self.dropout(self.attn(", replace="x = self.dropout(self.attn(",
         caught_by=["test_block", "test_block_gradients"]),
    dict(name="mlp_residual_missing", cell="transformer_block",
         find="x = x + self.mlp(self.ln2(x))", replace="x = self.mlp(self.ln2(x))",
         caught_by=["test_block", "test_block_gradients"]),
    # the future leaks into every position
    dict(name="is_causal_forgotten", cell="transformer_block",
         find="is_causal=True, need_weights=False)[0]", replace="is_causal=False, need_weights=False)[0]",
         caught_by=["test_block", "test_block_gradients", "test_gpt_causality"]),
    # only the hidden checks see it: dropout=0.5 in training mode
    dict(name="attention_branch_dropout_missing", cell="transformer_block",
         find="x = x + self.dropout(self.attn(self.ln1(x), is_causal=True, need_weights=False)[0])",
         replace="x = x + self.attn(self.ln1(x), is_causal=True, need_weights=False)[0]",
         caught_by=["test_block"]),
    dict(name="mlp_dropout_not_passed", cell="transformer_block",
         find="self.mlp = MLP(embed_dim, int(mlp_ratio * embed_dim), dropout)",
         replace="self.mlp = MLP(embed_dim, int(mlp_ratio * embed_dim))",
         caught_by=["test_block"]),
    # only the hidden checks see it: mlp_ratio=2
    dict(name="mlp_ratio_ignored", cell="transformer_block",
         find="self.mlp = MLP(embed_dim, int(mlp_ratio * embed_dim), dropout)",
         replace="self.mlp = MLP(embed_dim, 4 * embed_dim, dropout)",
         caught_by=["test_block"]),
    # ---- 4. GPT
    dict(name="positional_embedding_missing", cell="gpt",
         find="x = self.drop(self.pos_emb(self.tok_emb(idx)))", replace="x = self.drop(self.tok_emb(idx))",
         caught_by=["test_gpt", "test_gpt_gradients"]),
    # the head reads the un-normalized residual stream
    dict(name="ln_f_skipped", cell="gpt",
         find="x = self.ln_f(x)", replace="x = x",
         caught_by=["test_gpt", "test_gpt_gradients"]),
    # a model that ignores its context: only the hidden causality checks (an earlier token changes) see it there
    dict(name="blocks_skipped", cell="gpt",
         find="x = self.blocks(x)", replace="x = x",
         caught_by=["test_gpt", "test_gpt_gradients", "test_gpt_causality"]),
    # only the hidden checks see it: tie_weights=True
    dict(name="tied_head_copies_the_table", cell="gpt",
         find="self.lm_head.weight = self.tok_emb.weight",
         replace="self.lm_head.weight = Tensor(self.tok_emb.weight.data.copy(), requires_grad=True)",
         caught_by=["test_gpt", "test_gpt_gradients"]),
    # only the hidden checks see it: dropout=0.5 in training mode
    dict(name="embedding_dropout_missing", cell="gpt",
         find="x = self.drop(self.pos_emb(self.tok_emb(idx)))", replace="x = self.pos_emb(self.tok_emb(idx))",
         caught_by=["test_gpt"]),
    dict(name="dropout_not_passed_to_the_blocks", cell="gpt",
         find="TransformerBlock(embed_dim, num_heads, 4, dropout) for", replace="TransformerBlock(embed_dim, num_heads, 4) for",
         caught_by=["test_gpt"]),
    # ---- 5. generate
    # only the hidden checks see these two: a model that writes down the grad mode and its training mode
    dict(name="graph_recorded_during_generation", cell="generate",
         find="with no_grad():", replace="if True:",
         caught_by=["test_generate"]),
    dict(name="eval_mode_not_set", cell="generate",
         find="    model.eval()\n", replace="",
         caught_by=["test_generate"]),
    # one u for every step: the same seed re-created inside the loop (only the long single-sequence check sees it)
    dict(name="rng_recreated_every_step", cell="generate",
         find="nxt = sample_next_token(logits, rng, temperature, top_k)",
         replace="nxt = sample_next_token(logits, np.random.default_rng(seed), temperature, top_k)",
         caught_by=["test_generate_sampling"]),
    # greedy for one sequence, sampling for a batch: the visible checks use batches of thousands
    dict(name="greedy_for_a_single_sequence", cell="generate",
         find="nxt = np.minimum((probs.cumsum(axis=-1) < u).sum(axis=-1), probs.shape[-1] - 1)",
         replace="nxt = probs.argmax(axis=-1) if logits.shape[0] == 1 else np.minimum((probs.cumsum(axis=-1) < u).sum(axis=-1), probs.shape[-1] - 1)",
         caught_by=["test_generate_sampling"]),
    dict(name="seed_ignored", cell="generate",
         find="rng = np.random.default_rng(seed)", replace="rng = np.random.default_rng()",
         caught_by=["test_generate"]),
    # the model refuses the longer context
    dict(name="context_not_cropped", cell="generate",
         find="context = idx[:, -model.max_seq_len:]", replace="context = idx",
         caught_by=["test_generate"]),
    # only the hidden checks see it: a prompt longer than max_seq_len (the visible ones never exceed it by a step)
    dict(name="context_cropped_to_its_first_tokens", cell="generate",
         find="context = idx[:, -model.max_seq_len:]", replace="context = idx[:, :model.max_seq_len]",
         caught_by=["test_generate"]),
    dict(name="top_k_keeps_one_too_many", cell="generate",
         find="[:, -min(top_k, logits.shape[-1])]", replace="[:, -min(top_k + 1, logits.shape[-1])]",
         caught_by=["test_generate", "test_generate_sampling"]),
    # sampling asked, argmax given
    dict(name="greedy_when_sampling", cell="generate",
         find="nxt = np.minimum((probs.cumsum(axis=-1) < u).sum(axis=-1), probs.shape[-1] - 1)",
         replace="nxt = probs.argmax(axis=-1)",
         caught_by=["test_generate_sampling"]),
    # the scores used as weights without the exponential
    dict(name="sampled_from_logits_without_softmax", cell="generate",
         find="probs = np.exp(logits - logits.max(axis=-1, keepdims=True))",
         replace="probs = logits - logits.min(axis=-1, keepdims=True)",
         caught_by=["test_generate_sampling"]),
    # only the hidden checks see it: temperature 0.5 and 2
    dict(name="temperature_ignored", cell="generate",
         find=".astype(np.float64) / temperature", replace=".astype(np.float64)",
         caught_by=["test_generate_sampling"]),
]
