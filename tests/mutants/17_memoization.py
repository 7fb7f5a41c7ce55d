"""Plausible wrong implementations of 17_memoization; `make check` proves the tests catch each one.

The seed project's KV-cache bugs are here by name: the last layer's projections used for every layer (a closure
bound in a loop), one cache shared by all layers, the current token dropped from the cache (an off-by-one in the
filled length), and a test that passes on empty arrays (every check here compares values). Also: a cache that
concatenates (reallocating and copying the past) instead of writing into its preallocated arrays, a dtype or an
itemsize ignored, memory per token without the factor 2 (keys AND values), the layer count or the batch; attention
without the causal mask in the prefill, with a top-left mask, or masked only for the prompt; positions not offset
(every new token at position 0), a tied head ignored; generation whose cache is not reset between calls, that has
no policy at the end of the context, re-creates its rng or reads the first position's logits.
Found by trying the module as a (hostile) student: an append that advances the length before refusing to pass
max_len; a cached_forward that keeps the token ids and returns the uncached model's logits (filling the cache on the
side), dropout left out; a generate that calls module 13's (with or without filling the cache afterwards), that
forgets eval mode or no_grad, or whose prefill or re-encode is one token short (tokens that happen to match).
"""
MUTANTS = [
    # ---- 1. KVCache
    # `[a] * n` is n references to ONE array: every layer overwrites the others
    dict(name="one_array_shared_by_all_layers", cell="kv_cache",
         find="self.keys = [np.zeros(shape, dtype=self.dtype) for _ in range(self.num_layers)]",
         replace="self.keys = [np.zeros(shape, dtype=self.dtype)] * self.num_layers",
         caught_by=["test_kv_cache", "test_cached_forward", "test_generate_cached"]),
    # the past copied at every append, into a new array: the preallocated one stays empty
    dict(name="append_concatenates", cell="kv_cache",
         find="self.keys[layer][:, :, start:end] = k             # in place: the preallocated array, no copy of the past\n"
              "        self.values[layer][:, :, start:end] = v",
         replace="self.keys[layer] = np.concatenate([self.keys[layer][:, :, :start], k], axis=2)\n"
                 "        self.values[layer] = np.concatenate([self.values[layer][:, :, :start], v], axis=2)",
         caught_by=["test_kv_cache"]),
    # the seed project's bug: the newest position is left out of what attention reads
    dict(name="filled_length_off_by_one", cell="kv_cache",
         find="n = self.lengths[layer]\n", replace="n = self.lengths[layer] - 1\n",
         caught_by=["test_kv_cache", "test_cached_attention", "test_cached_forward", "test_generate_cached"]),
    # NumPy refuses the write too, but its message names neither the positions needed nor max_len
    dict(name="max_len_unchecked", cell="kv_cache",
         find="        if end > self.max_len:\n", replace="        if False:\n",
         caught_by=["test_kv_cache"]),
    # only the hidden checks see it: a refused append leaves the layer claiming max_len + 1 positions
    dict(name="length_advanced_before_the_max_len_check", cell="kv_cache",
         find="        end = start + k.shape[2]\n        if end > self.max_len:\n",
         replace="        end = start + k.shape[2]\n        self.lengths[layer] = end\n        if end > self.max_len:\n",
         caught_by=["test_kv_cache"]),
    dict(name="reset_forgets_nothing", cell="kv_cache",
         find="the arrays are kept.\"\"\"\n        self.lengths = [0] * self.num_layers",
         replace="the arrays are kept.\"\"\"\n        pass",
         caught_by=["test_kv_cache", "test_cached_forward", "test_generate_cached"]),
    # only the hidden checks see it: a float64 cache
    dict(name="dtype_ignored", cell="kv_cache",
         find="self.values = [np.zeros(shape, dtype=self.dtype) for", replace="self.values = [np.zeros(shape, dtype=np.float32) for",
         caught_by=["test_kv_cache", "test_kv_cache_memory"]),
    # only the hidden checks see these two: bytes from a formula, or from the keys alone, equal the arrays' until
    # an array changes
    dict(name="nbytes_from_the_formula", cell="kv_cache",
         find="return sum(a.nbytes for a in self.keys + self.values)", replace="return self.bytes_per_token * self.max_len",
         caught_by=["test_kv_cache_memory"]),
    dict(name="nbytes_keys_counted_twice", cell="kv_cache",
         find="return sum(a.nbytes for a in self.keys + self.values)", replace="return 2 * sum(a.nbytes for a in self.keys)",
         caught_by=["test_kv_cache_memory"]),
    # memory per token
    dict(name="bytes_per_token_without_the_factor_2", cell="kv_cache",
         find="return 2 * self.num_layers * self.num_heads", replace="return self.num_layers * self.num_heads",
         caught_by=["test_kv_cache_memory"]),
    dict(name="bytes_per_token_without_the_layers", cell="kv_cache",
         find="return 2 * self.num_layers * self.num_heads", replace="return 2 * self.num_heads",
         caught_by=["test_kv_cache_memory"]),
    # only the hidden checks see these two: float16 and a batch of 5
    dict(name="itemsize_assumed_4_bytes", cell="kv_cache",
         find="self.dtype.itemsize * self.batch_size", replace="4 * self.batch_size",
         caught_by=["test_kv_cache_memory"]),
    dict(name="bytes_per_token_without_the_batch", cell="kv_cache",
         find="self.dtype.itemsize * self.batch_size", replace="self.dtype.itemsize",
         caught_by=["test_kv_cache_memory"]),
    # ---- 2. cached_attention
    # the prompt's tokens read later prompt tokens
    dict(name="causal_mask_missing_in_the_prefill", cell="cached_attention",
         find="mask = causal_mask(T, S) if T > 1 else None", replace="mask = None",
         caught_by=["test_cached_attention", "test_cached_forward", "test_generate_cached"]),
    # a new token at position P sees only the first key
    dict(name="mask_aligned_top_left", cell="cached_attention",
         find="mask = causal_mask(T, S) if T > 1 else None", replace="mask = np.tril(np.ones((T, S), dtype=bool))",
         caught_by=["test_cached_attention", "test_cached_forward", "test_generate_cached"]),
    # only the hidden checks see it: a chunk of several tokens after a prefix
    dict(name="mask_only_for_the_prompt", cell="cached_attention",
         find="mask = causal_mask(T, S) if T > 1 else None", replace="mask = causal_mask(T, S) if T == S else None",
         caught_by=["test_cached_attention", "test_cached_forward"]),
    dict(name="queries_cached_as_keys", cell="cached_attention",
         find="cache.append(layer, k, v)", replace="cache.append(layer, q, v)",
         caught_by=["test_cached_attention", "test_cached_forward", "test_generate_cached"]),
    # only the hidden checks see it: layer 1 of a 2-layer cache
    dict(name="layer_argument_ignored", cell="cached_attention",
         find="cache.append(layer, k, v)", replace="cache.append(0, k, v)",
         caught_by=["test_cached_attention", "test_cached_forward", "test_generate_cached"]),
    # ---- 3. cached_forward
    # the seed project's bug: a closure that binds the last layer
    dict(name="last_layers_projections_for_every_layer", cell="cached_forward",
         find="cached_attention(block.attn, block.ln1(x), cache, layer)",
         replace="cached_attention(model.blocks[-1].attn, block.ln1(x), cache, layer)",
         caught_by=["test_cached_forward", "test_generate_cached"]),
    dict(name="one_cache_layer_for_all_blocks", cell="cached_forward",
         find="cached_attention(block.attn, block.ln1(x), cache, layer)", replace="cached_attention(block.attn, block.ln1(x), cache, 0)",
         caught_by=["test_cached_forward", "test_generate_cached"]),
    # every new token read as position 0 .. T - 1
    dict(name="positions_not_offset", cell="cached_forward",
         find="model.drop(model.tok_emb(idx) + model.pos_emb.weight[P:P + T])", replace="model.drop(model.pos_emb(model.tok_emb(idx)))",
         caught_by=["test_cached_forward", "test_generate_cached"]),
    # only the hidden checks see it: a tied model
    dict(name="tied_head_ignored", cell="cached_forward",
         find="    if model.tie_weights:\n        return x @ model.lm_head.weight.transpose()\n", replace="",
         caught_by=["test_cached_forward", "test_generate_cached"]),
    # hostile: the ids kept on the cache and the uncached model run over all of them (the cache filled on the side)
    dict(name="ids_kept_and_the_past_recomputed", cell="cached_forward",
         find="    x = model.ln_f(x)\n",
         replace="    cache.ids = np.concatenate([getattr(cache, 'ids', idx[:, :0])[:, :P], idx], axis=1)\n"
                 "    return model(cache.ids)[:, P:]\n",
         caught_by=["test_cached_forward"]),
    # only the hidden checks see these two: dropout in training mode
    dict(name="embedding_dropout_left_out", cell="cached_forward",
         find="x = model.drop(model.tok_emb(idx) + model.pos_emb.weight[P:P + T])",
         replace="x = model.tok_emb(idx) + model.pos_emb.weight[P:P + T]",
         caught_by=["test_cached_forward"]),
    dict(name="attention_dropout_left_out", cell="cached_forward",
         find="x = x + block.dropout(cached_attention(block.attn, block.ln1(x), cache, layer))",
         replace="x = x + cached_attention(block.attn, block.ln1(x), cache, layer)",
         caught_by=["test_cached_forward"]),
    # ---- 4. generate
    # hostile: module 13's generate inside the cached path (the same tokens by construction)
    dict(name="uncached_generate_called", cell="generate",
         find="    rng = np.random.default_rng(seed)\n",
         replace="    return generate_uncached(model, idx, max_new_tokens, temperature, top_k, seed)\n",
         caught_by=["test_generate_cached"]),
    # hostile: the same, with the cache filled afterwards so that it looks used
    dict(name="uncached_generate_then_the_cache_filled", cell="generate",
         find="    rng = np.random.default_rng(seed)\n",
         replace="    out = generate_uncached(model, idx, max_new_tokens, temperature, top_k, seed)\n"
                 "    cache.reset()\n"
                 "    cached_forward(model, out[:, :-1][:, -model.max_seq_len:], cache)\n"
                 "    return out\n",
         caught_by=["test_generate_cached"]),
    dict(name="no_grad_missing", cell="generate",
         find="        with no_grad():\n", replace="        if True:\n",
         caught_by=["test_generate_cached"]),
    # only the hidden checks see these three: dropout on while generating, a prefill or re-encode one token short
    dict(name="eval_mode_not_set", cell="generate",
         find="    model.eval()\n", replace="",
         caught_by=["test_generate_cached"]),
    dict(name="prompt_prefill_one_token_short", cell="generate",
         find="new = idx[:, -model.max_seq_len:]             # prefill",
         replace="new = idx[:, -model.max_seq_len + 1:]             # prefill",
         caught_by=["test_generate_cached"]),
    dict(name="re_encode_one_token_short", cell="generate",
         find="                    new = idx[:, -model.max_seq_len:]",
         replace="                    new = idx[:, -model.max_seq_len + 1:]",
         caught_by=["test_generate_cached"]),
    # a reused cache keeps the previous sequence: the new prompt attends to it and starts at its position
    dict(name="cache_not_reset_between_calls", cell="generate",
         find="cache.reset()                                 # a reused cache starts empty", replace="pass",
         caught_by=["test_generate_cached"]),
    dict(name="rng_recreated_every_step", cell="generate",
         find="nxt = sample_next_token(logits, rng, temperature, top_k)",
         replace="nxt = sample_next_token(logits, np.random.default_rng(seed), temperature, top_k)",
         caught_by=["test_generate_cached"]),
    dict(name="first_position_logits", cell="generate",
         find="cached_forward(model, new, cache).data[:, -1, :]", replace="cached_forward(model, new, cache).data[:, 0, :]",
         caught_by=["test_generate_cached"]),
    # only the hidden checks see these two: a text longer than max_seq_len
    dict(name="no_policy_at_the_end_of_the_context", cell="generate",
         find="if cache.length + new.shape[1] > model.max_seq_len:", replace="if False:",
         caught_by=["test_generate_cached"]),
    dict(name="re_encoded_without_reset", cell="generate",
         find="cache.reset()                                        # re-encode", replace="pass  # re-encode",
         caught_by=["test_generate_cached"]),
]
